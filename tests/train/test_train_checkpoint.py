"""save_checkpoint / load_checkpoint: round trip, and bad files change nothing."""

import json

import numpy as np
import pytest
import safetensors.numpy
from train_helpers import Run

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt import random as rb_random
from rosenblatt.train import fit, load_checkpoint, save_checkpoint


def trained_run(seed=0, epochs=2):
    run = Run(seed=seed)
    fit(run.model, F.cross_entropy, run.optimizer, run.train_loader, epochs=epochs,
        scheduler=run.scheduler, progress=False)
    return run


def optimizer_arrays(optimizer):
    state = optimizer.state_dict()["state"]
    return {(i, k): np.array(v, copy=True) for i, s in state.items() for k, v in s.items()}


def snapshot(run):
    """Everything a load could change, as comparable values."""
    return (run.weights(), optimizer_arrays(run.optimizer),
            [dict(g, params=None) for g in run.optimizer.param_groups],
            dict(run.scheduler.state_dict()), rb_random.get_rng_state())


def assert_same(a, b):
    weights_a, optim_a, groups_a, sched_a, rng_a = a
    weights_b, optim_b, groups_b, sched_b, rng_b = b
    assert weights_a.keys() == weights_b.keys() and optim_a.keys() == optim_b.keys()
    for k in weights_a:
        np.testing.assert_array_equal(weights_a[k], weights_b[k])
    for k in optim_a:
        np.testing.assert_array_equal(optim_a[k], optim_b[k])
    assert groups_a == groups_b and sched_a == sched_b and rng_a == rng_b


def test_round_trip_restores_model_optimizer_scheduler_epoch_and_rng(tmp_path):
    path = tmp_path / "run.safetensors"
    saved = trained_run()
    save_checkpoint(path, saved.model, saved.optimizer, saved.scheduler, epoch=2,
                    extra={"note": "hi", "values": [1, 2.5]}, arrays={"mean": np.arange(3.0)})
    expected = snapshot(saved)
    next_draw = rb_random.generator().random(4)

    fresh = Run(seed=7)  # different weights, no optimizer state, other RNG state
    state = load_checkpoint(path, fresh.model, fresh.optimizer, fresh.scheduler)
    assert_same(snapshot(fresh), expected)
    np.testing.assert_array_equal(rb_random.generator().random(4), next_draw)
    assert state["epoch"] == 2 and state["extra"] == {"note": "hi", "values": [1, 2.5]}
    np.testing.assert_array_equal(state["arrays"]["mean"], np.arange(3.0))
    assert isinstance(fresh.optimizer.param_groups[0]["betas"], tuple)
    assert fresh.optimizer.state_dict()["state"][0]["step"] == 12  # 2 epochs of 6 batches
    assert fresh.scheduler.get_last_lr() == saved.scheduler.get_last_lr()


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    path = tmp_path / "run.safetensors"
    run = trained_run(epochs=1)
    save_checkpoint(path, run.model, run.optimizer, epoch=1)
    tensors = safetensors.numpy.load_file(str(path))
    assert {"model.0.weight", "model.3.bias", "optim.state.0.exp_avg"} <= set(tensors)
    with safetensors.safe_open(str(path), framework="numpy") as file:
        metadata = file.metadata()
    assert metadata["format"] == "rosenblatt.checkpoint" and metadata["version"] == "1"
    assert json.loads(metadata["epoch"]) == 1
    assert json.loads(metadata["optimizer"])["scalars"]["0"] == {"step": 6}
    inspected = load_checkpoint(path)
    assert inspected["optimizer_state"]["param_groups"][0]["lr"] == 0.05
    assert list(inspected["model_state"]) == list(run.model.state_dict())


def test_loading_without_a_model_leaves_the_rng_alone(tmp_path):
    path = tmp_path / "run.safetensors"
    run = trained_run(epochs=1)
    save_checkpoint(path, run.model)
    rb.manual_seed(99)
    before = rb_random.get_rng_state()
    state = load_checkpoint(path)
    assert rb_random.get_rng_state() == before and state["optimizer_state"] is None


def corrupt_files(path, tmp_path):
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    foreign = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"weight": np.zeros((16, 4), np.float32)}, str(foreign))
    cases = {
        "truncated": data[: len(data) // 2],
        "header only": data[:8],
        "empty": b"",
        "random bytes": rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes(),
        "flipped size": (len(data) * 7).to_bytes(8, "little") + data[8:],
    }
    for name, content in cases.items():
        bad = tmp_path / f"{name.replace(' ', '_')}.safetensors"
        bad.write_bytes(content)
        yield name, bad, "truncated|corrupt"
    yield "foreign", foreign, "not a rosenblatt checkpoint"


def test_bad_files_raise_value_error_and_change_nothing(tmp_path):
    path = tmp_path / "good.safetensors"
    source = trained_run(epochs=1)
    save_checkpoint(path, source.model, source.optimizer, source.scheduler, epoch=1)
    run = trained_run(seed=3, epochs=2)
    before = snapshot(run)
    for name, bad, message in corrupt_files(path, tmp_path):
        with pytest.raises(ValueError, match=message):
            load_checkpoint(bad, run.model, run.optimizer, run.scheduler)
        assert_same(snapshot(run), before)


def test_mismatched_model_or_optimizer_changes_nothing(tmp_path):
    import rosenblatt.nn as nn

    path = tmp_path / "run.safetensors"
    source = trained_run(epochs=1)
    save_checkpoint(path, source.model, source.optimizer, source.scheduler, epoch=1)

    run = trained_run(seed=3)
    before = snapshot(run)
    run.model[3] = nn.Linear(16, 5)  # the last layer has another shape
    run.model[3].weight.data[...] = 0
    with pytest.raises(ValueError, match=r"shape mismatch for 3\.weight: checkpoint \(3, 16\), model \(5, 16\)"):
        load_checkpoint(path, run.model)

    run = trained_run(seed=3)
    before = snapshot(run)
    sgd = rb.optim.SGD(run.model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="holds Adam state; the optimizer is SGD"):
        load_checkpoint(path, run.model, sgd)
    assert_same(snapshot(run), before)

    scheduler = rb.optim.lr_scheduler.ExponentialLR(run.optimizer, gamma=0.9)
    with pytest.raises(ValueError, match="holds StepLR state; the scheduler is ExponentialLR"):
        load_checkpoint(path, run.model, run.optimizer, scheduler)


def test_a_component_that_fails_late_rolls_back_the_others(tmp_path, monkeypatch):
    path = tmp_path / "run.safetensors"
    source = trained_run(epochs=1)
    save_checkpoint(path, source.model, source.optimizer, source.scheduler, epoch=1)
    run = trained_run(seed=3)
    before = snapshot(run)
    original = type(run.scheduler).load_state_dict
    calls = []

    def fail_first(self, state):
        calls.append(state)
        if len(calls) == 1:
            raise ValueError("scheduler refused")
        original(self, state)

    monkeypatch.setattr(type(run.scheduler), "load_state_dict", fail_first)
    with pytest.raises(ValueError, match="nothing was changed: scheduler refused"):
        load_checkpoint(path, run.model, run.optimizer, run.scheduler)
    assert_same(snapshot(run), before)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.safetensors"
    safetensors.numpy.save_file({"model.w": np.zeros(2)}, str(path),
                                metadata={"format": "rosenblatt.checkpoint", "version": "2"})
    with pytest.raises(ValueError, match="format version '2'"):
        load_checkpoint(path)


def test_unserializable_extra_is_a_clear_error(tmp_path):
    run = Run()
    with pytest.raises(TypeError, match="extra data"):
        save_checkpoint(tmp_path / "x.safetensors", run.model, extra={"f": object()})
    assert not list(tmp_path.iterdir())


def test_optimizer_with_other_group_sizes_is_refused(tmp_path):
    path = tmp_path / "run.safetensors"
    source = trained_run(epochs=1)
    save_checkpoint(path, source.model, source.optimizer, epoch=1)
    run = trained_run(seed=3)
    before = snapshot(run)
    params = list(run.model.parameters())
    split = rb.optim.Adam([{"params": params[:1]}, {"params": params[1:]}], lr=0.01)
    with pytest.raises(ValueError, match="1 parameter groups; the optimizer has 2"):
        load_checkpoint(path, run.model, split)
    one_short = rb.optim.Adam(params[:-1], lr=0.01)
    with pytest.raises(ValueError, match="group 0 has 4 parameters in the checkpoint, 3 in the optimizer"):
        load_checkpoint(path, run.model, one_short)
    assert_same(snapshot(run), before)
