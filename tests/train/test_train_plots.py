"""plot_history: a PNG of the loss and accuracy curves; a clear error without matplotlib."""

import math
import sys

import pytest

from rosenblatt.train import History, plot_curves, plot_history

PNG = b"\x89PNG\r\n\x1a\n"


def history():
    h = History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)], start=1):
        h.append({"epoch": epoch, "loss": loss, "accuracy": acc, "val_loss": loss + 0.1,
                  "val_accuracy": acc - 0.05, "lr": 0.1})
    return h


def test_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_history(history(), tmp_path / "curves.png", title="run")
    assert path == str(tmp_path / "curves.png") and (tmp_path / "curves.png").read_bytes()[:8] == PNG
    plot_history({"loss": [1.0, 0.5]}, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG


def test_plot_curves(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_curves(tmp_path / "m.png", {"mistakes": [9, 4, 1, 0]}, ylabel="mistakes", title="P")
    assert (tmp_path / "m.png").read_bytes()[:8] == PNG and path.endswith("m.png")
    with pytest.raises(ValueError, match="non-empty curve"):
        plot_curves(tmp_path / "e.png", {"mistakes": []})


def test_bad_requests(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="no 'f1'"):
        plot_history(history(), tmp_path / "x.png", metric="f1")
    with pytest.raises(ValueError, match="no 'loss'"):
        plot_history({}, tmp_path / "x.png")


def test_missing_matplotlib_names_the_pip_command(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(history(), tmp_path / "x.png")
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_curves(tmp_path / "x.png", {"loss": [1.0]})
    assert not (tmp_path / "x.png").exists()


def test_history_rows():
    h = history()
    h.append({"epoch": 4, "loss": 0.3, "top2_accuracy": 0.9})
    assert h.epochs == 4 and math.isnan(h["accuracy"][-1])  # NaN where a value is missing
    assert all(map(math.isnan, h["top2_accuracy"][:3])) and h["top2_accuracy"][3] == 0.9
    assert h.last()["loss"] == 0.3 and "4 epochs" in repr(h)
