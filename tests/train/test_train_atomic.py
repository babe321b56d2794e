"""Checkpoints are written atomically: a crash mid-save never destroys the previous one."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import rosenblatt.nn as nn
from rosenblatt.train import load_checkpoint, save_checkpoint
from rosenblatt.train import atomic


def model_filled_with(value, size=64):
    model = nn.Linear(size, size)
    model.weight.data[...] = value
    model.bias.data[...] = value
    return model


def test_failed_write_keeps_previous_checkpoint_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model_filled_with(1.0), epoch=1)

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", crash)  # the temporary file was written, not yet renamed
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model_filled_with(2.0), epoch=2)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
    model = model_filled_with(0.0)
    assert load_checkpoint(path, model)["epoch"] == 1
    assert np.all(model.weight.data == 1.0)


def test_new_file_gets_ordinary_permissions(tmp_path):
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model_filled_with(1.0))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    save_checkpoint(path, model_filled_with(2.0))  # replacing keeps the file's permissions
    assert os.stat(path).st_mode & 0o777 == 0o640


_SAVER = textwrap.dedent("""
    import sys
    import rosenblatt.nn as nn
    from rosenblatt.train import save_checkpoint
    path, size = sys.argv[1], int(sys.argv[2])
    model = nn.Linear(size, size)
    epoch = 0
    while True:
        epoch += 1
        model.weight.data[...] = epoch
        model.bias.data[...] = epoch
        save_checkpoint(path, model, epoch=epoch)
        if epoch == 1:
            print("saved", flush=True)
""")


@pytest.mark.parametrize("delay", [0.05, 0.2])
def test_sigkill_while_saving_leaves_a_complete_checkpoint(tmp_path, delay):
    """A process saving a ~16 MB checkpoint in a loop is killed at an arbitrary moment."""
    path = tmp_path / "model.safetensors"
    size = 2048
    saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), str(size)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = iter(saver.stdout.readline, "")  # an editable install may print build lines first
        assert any(line.strip() == "saved" for line in lines)
        time.sleep(delay)
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=30)
        saver.stdout.close()
    model = model_filled_with(0.0, size)
    epoch = load_checkpoint(path, model)["epoch"]
    assert epoch >= 1 and np.all(model.weight.data == epoch) and np.all(model.bias.data == epoch)

    # A stray temporary file from the killed save never breaks the next save.
    (tmp_path / ".model.safetensors.stale.tmp").write_bytes(b"partial")
    save_checkpoint(path, model_filled_with(5.0, size), epoch=99)
    assert load_checkpoint(path, model)["epoch"] == 99 and np.all(model.weight.data == 5.0)


def test_write_atomic_replaces_whole_content(tmp_path):
    path = tmp_path / "blob"
    atomic.write_atomic(path, b"a" * 1000)
    atomic.write_atomic(path, b"short")
    assert path.read_bytes() == b"short"
    assert [p.name for p in tmp_path.iterdir()] == ["blob"]
