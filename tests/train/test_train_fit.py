"""fit and evaluate: training works, early stopping stops, options and output behave."""

import json
import math

import numpy as np
import pytest
from train_helpers import Run

import rosenblatt as rb
import rosenblatt.functional as F
import rosenblatt.nn as nn
from rosenblatt.data import DataLoader, TensorDataset
from rosenblatt.train import EarlyStopping, History, evaluate, fit


def test_loss_falls_and_classifier_learns():
    run = Run()
    history = fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader,
                  epochs=6, progress=False)
    assert isinstance(history, History)
    assert history.epochs == 6 and history["epoch"] == [1, 2, 3, 4, 5, 6]
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.9
    assert set(history) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                            "samples_per_s"}
    assert all(s > 0 for s in history["samples_per_s"])
    json.dumps(history.to_dict())  # JSON-ready
    assert History.from_dict(history.to_dict())["loss"] == history["loss"]


def test_history_records_scheduled_learning_rate():
    run = Run(lr=0.1)
    history = fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=5,
                  scheduler=run.scheduler, progress=False)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert "val_loss" not in history


def test_scheduler_step_per_batch():
    run = Run()
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=2,
        scheduler=run.scheduler, scheduler_step="batch", progress=False)
    assert run.scheduler.last_epoch == 2 * len(run.train_loader)


def test_regression_defaults_to_mse():
    rb.manual_seed(1)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(128, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    model = nn.Linear(3, 1)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    history = fit(model, F.mse_loss, rb.optim.SGD(model.parameters(), lr=0.05), loader, loader,
                  epochs=8, progress=False)
    assert "mse" in history and "accuracy" not in history
    assert history["val_mse"][-1] < 0.01 < history["val_mse"][0]


def test_metrics_choice_and_evaluate():
    run = Run()
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=3, progress=False,
        metrics=("accuracy", "top2_accuracy"))
    run.model.train()
    results = evaluate(run.model, run.val_loader, F.cross_entropy, metrics=("accuracy", "top2"))
    assert list(results) == ["loss", "accuracy", "top2_accuracy"]
    assert results["top2_accuracy"] >= results["accuracy"]
    assert run.model.training  # evaluate puts the model back in its mode
    assert evaluate(run.model, run.val_loader, metrics=None) == {}


def test_early_stopping_stops_when_nothing_improves():
    run = Run()
    optimizer = rb.optim.SGD(run.model.parameters(), lr=0.0)  # the validation loss never changes
    history = fit(run.model, F.cross_entropy, optimizer, run.train_loader, run.val_loader,
                  epochs=20, early_stopping=3, progress=False)
    assert history.epochs == 4 and history.stopped_epoch == 4 and history.best_epoch == 1


def test_early_stopping_restores_best_weights():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2, monitor="val_loss")
    stopper.resolve(has_validation=True)
    best = {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}
    assert not stopper.update(1, {"val_loss": 1.0}, model)
    model.weight.data[...] += 1.0
    assert not stopper.update(2, {"val_loss": 1.5}, model)
    assert stopper.update(3, {"val_loss": 1.2}, model)
    stopper.restore(model)
    np.testing.assert_array_equal(model.weight.data, best["weight"])
    assert stopper.best_epoch == 1 and stopper.mode == "min"


def test_early_stopping_settings_are_checked():
    run = Run()
    with pytest.raises(ValueError, match="no val_loader"):
        fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=1,
            early_stopping=EarlyStopping(monitor="val_accuracy"), progress=False)
    with pytest.raises(ValueError, match="not measured"):
        fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=1,
            early_stopping=EarlyStopping(monitor="f1"), progress=False)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(TypeError, match="early_stopping"):
        fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=1,
            early_stopping="yes", progress=False)
    assert EarlyStopping(monitor="val_accuracy").mode == "auto"


def test_grad_clip_limits_the_update():
    run = Run(optimizer="sgd", lr=1.0)
    before = run.weights()
    x, y = next(iter(run.train_loader))
    loader = [(x * 1000.0, y)]  # huge gradients
    fit(run.model, F.cross_entropy, rb.optim.SGD(run.model.parameters(), lr=1.0), loader, epochs=1,
        grad_clip=0.5, metrics=None, progress=False)
    change = np.sqrt(sum(np.sum((run.weights()[k] - before[k]) ** 2) for k in before))
    assert 0 < change <= 0.5 + 1e-5


def test_bad_arguments():
    run = Run()
    args = (run.model, F.cross_entropy, run.optimizer, run.train_loader)
    with pytest.raises(ValueError, match="epochs"):
        fit(*args, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="scheduler_step"):
        fit(*args, epochs=1, scheduler_step="step", progress=False)
    with pytest.raises(ValueError, match="grad_clip"):
        fit(*args, epochs=1, grad_clip=0, progress=False)
    with pytest.raises(ValueError, match="pair"):
        fit(run.model, F.cross_entropy, run.optimizer, [(1, 2, 3)], epochs=1, progress=False)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(*args, epochs=1, metrics=("f1",), progress=False)


def test_non_finite_loss_raises():
    run = Run()

    def broken(output, target):
        return F.cross_entropy(output, target) * math.nan

    before = run.weights()
    with pytest.raises(FloatingPointError, match="epoch 1, batch 1"):
        fit(run.model, broken, run.optimizer, run.train_loader, epochs=1)
    for name, weight in run.weights().items():  # raised before the update
        np.testing.assert_array_equal(weight, before[name])


def test_progress_is_quiet_or_plain_without_a_terminal(capsys):
    run = Run()
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader, epochs=2,
        progress=False)
    assert capsys.readouterr() == ("", "")
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader, epochs=2)
    out, err = capsys.readouterr()
    assert out == "" and "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  loss ")
    assert "val_accuracy" in lines[1] and "samples/s" in lines[1]


def test_fit_writes_plot(tmp_path):
    pytest.importorskip("matplotlib")
    run = Run()
    path = tmp_path / "curves.png"
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, run.val_loader, epochs=2,
        plot=path, progress=False)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

