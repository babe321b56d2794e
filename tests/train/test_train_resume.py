"""Resuming from a checkpoint reproduces the uninterrupted run exactly."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from train_helpers import Run

import rosenblatt.functional as F
from rosenblatt.train import EarlyStopping, fit, load_checkpoint


def train(run, epochs, **options):
    return fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader,
               epochs=epochs, scheduler=run.scheduler, progress=False, **options)


def assert_identical(a, b):
    wa, wb = a.weights(), b.weights()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)
    sa, sb = a.optimizer.state_dict()["state"], b.optimizer.state_dict()["state"]
    for index in sa:
        for key in sa[index]:
            np.testing.assert_array_equal(sa[index][key], sb[index][key])
    assert a.scheduler.state_dict() == b.scheduler.state_dict()


@pytest.mark.parametrize("loader_generator", [False, True], ids=["library-rng", "loader-rng"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_matches_uninterrupted_run(tmp_path, loader_generator, optimizer):
    # shuffling and dropout draw random numbers every epoch: both must continue exactly
    whole = Run(loader_generator=loader_generator, optimizer=optimizer)
    full_history = train(whole, 5)

    path = tmp_path / "ckpt.safetensors"
    first = Run(loader_generator=loader_generator, optimizer=optimizer)
    train(first, 2, checkpoint=path)
    assert load_checkpoint(path)["epoch"] == 2

    resumed = Run(seed=1234, loader_generator=loader_generator, optimizer=optimizer)  # other init
    if loader_generator:
        resumed.train_loader.generator = np.random.default_rng(999)
    history = train(resumed, 5, resume=path)
    assert_identical(resumed, whole)
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["loss"] == full_history["loss"]
    assert history["val_accuracy"] == full_history["val_accuracy"]


def test_resume_keeps_early_stopping_state(tmp_path):
    stopper = EarlyStopping(patience=2, monitor="val_accuracy", min_delta=0.5)  # never improves after 1
    whole = Run()
    full = train(whole, 10, early_stopping=stopper)
    assert full.stopped_epoch == 3 and full.best_epoch == 1

    path = tmp_path / "ckpt.safetensors"
    first = Run()
    train(first, 2, early_stopping=stopper, checkpoint=path)
    resumed = Run(seed=5)
    history = train(resumed, 10, early_stopping=stopper, resume=path)
    assert history.stopped_epoch == 3 and history.best_epoch == 1 and history.epochs == 3
    assert_identical(resumed, whole)  # both restored the epoch-1 weights

    again = Run(seed=6)  # resuming a run that already stopped trains nothing more
    train(Run(), 10, early_stopping=stopper, checkpoint=path)
    assert train(again, 10, early_stopping=stopper, resume=path).epochs == 3
    assert_identical(again, whole)


def test_resume_at_the_last_epoch_trains_nothing(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    first = Run()
    train(first, 2, checkpoint=path)
    resumed = Run(seed=8)
    history = train(resumed, 2, resume=path)
    assert history.epochs == 2
    assert_identical(resumed, first)


def test_resume_in_a_new_process_matches(tmp_path):
    """The checkpoint alone carries the state: a fresh interpreter continues the run."""
    path, out = tmp_path / "ckpt.safetensors", tmp_path / "weights.npz"
    train(Run(), 2, checkpoint=path)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import numpy as np
        import rosenblatt.functional as F
        from rosenblatt.train import fit
        from train_helpers import Run
        run = Run(seed=77)
        fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader, epochs=4,
            scheduler=run.scheduler, progress=False, resume={str(path)!r})
        np.savez({str(out)!r}, **run.weights())
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120, capture_output=True)
    whole = Run()
    train(whole, 4)
    resumed = np.load(out)
    for name, weight in whole.weights().items():
        np.testing.assert_array_equal(resumed[name], weight, err_msg=name)
