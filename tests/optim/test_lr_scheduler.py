"""rb.optim.lr_scheduler against torch.optim.lr_scheduler (or the formula where torch has none)."""

import math

import numpy as np
import pytest

from rosenblatt import optim
from rosenblatt.nn.parameter import Parameter
from rosenblatt.optim import lr_scheduler as ours_sched

torch = pytest.importorskip("torch")
theirs_sched = torch.optim.lr_scheduler

BASE_LRS = [0.1, 0.05]
STEPS = 20


def optimizers():
    ours = optim.SGD([{"params": [Parameter(np.ones(2))]},
                      {"params": [Parameter(np.ones(2))], "lr": BASE_LRS[1]}], lr=BASE_LRS[0])
    theirs = torch.optim.SGD([{"params": [torch.ones(2, requires_grad=True)]},
                              {"params": [torch.ones(2, requires_grad=True)], "lr": BASE_LRS[1]}],
                             lr=BASE_LRS[0])
    return ours, theirs


def lr_lambda(t):
    return 0.9**t + 0.01 * t


class Halving:  # a callable object: LambdaLR's state_dict keeps its attributes
    def __init__(self):
        self.rate = 0.5

    def __call__(self, t):
        return self.rate ** (t // 4)


SAME_AS_TORCH = {
    "StepLR": lambda m, opt: m.StepLR(opt, step_size=3, gamma=0.5),
    "ExponentialLR": lambda m, opt: m.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda m, opt: m.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    "LinearLR warm-up": lambda m, opt: m.LinearLR(opt, start_factor=0.25, total_iters=6),
    "LinearLR decay": lambda m, opt: m.LinearLR(opt, start_factor=1.0, end_factor=0.0,
                                                total_iters=10),
    "LambdaLR": lambda m, opt: m.LambdaLR(opt, lr_lambda),
    "LambdaLR per group": lambda m, opt: m.LambdaLR(opt, [lr_lambda, Halving()]),
    "SequentialLR": lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(opt, 12)],
        milestones=[5]),
    "SequentialLR of three": lambda m, opt: m.SequentialLR(
        opt, [m.ExponentialLR(opt, 0.5), m.StepLR(opt, 2), m.ExponentialLR(opt, 0.8)],
        milestones=[4, 10]),
    "ChainedScheduler": lambda m, opt: m.ChainedScheduler(
        [m.LinearLR(opt, start_factor=0.2, total_iters=4), m.ExponentialLR(opt, gamma=0.9)]),
    "ChainedScheduler with cosine": lambda m, opt: m.ChainedScheduler(
        [m.StepLR(opt, 5, gamma=0.5), m.CosineAnnealingLR(opt, T_max=8)]),
}


@pytest.mark.parametrize("case", list(SAME_AS_TORCH))
def test_matches_torch(case):
    ours_opt, theirs_opt = optimizers()
    ours = SAME_AS_TORCH[case](ours_sched, ours_opt)
    theirs = SAME_AS_TORCH[case](theirs_sched, theirs_opt)
    for _ in range(STEPS):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([g["lr"] for g in ours_opt.param_groups],
                                   [g["lr"] for g in theirs_opt.param_groups], rtol=1e-12,
                                   atol=1e-15)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


FORMULAS = {
    "InverseTimeLR": (lambda opt: ours_sched.InverseTimeLR(opt, decay_rate=0.5),
                      lambda t: 1 / (1 + 0.5 * t)),
    "InverseSqrtLR": (lambda opt: ours_sched.InverseSqrtLR(opt, warmup_steps=4),
                      lambda t: math.sqrt(4 / max(t, 4))),
    "InverseSqrtLR default": (lambda opt: ours_sched.InverseSqrtLR(opt),
                              lambda t: 1 / math.sqrt(max(t, 1))),
    "linear warm-up then inverse sqrt": (
        lambda opt: ours_sched.ChainedScheduler([
            ours_sched.LinearLR(opt, start_factor=0.1, total_iters=4),
            ours_sched.InverseSqrtLR(opt, warmup_steps=4)]),
        lambda t: (0.1 + 0.9 * min(t, 4) / 4) * math.sqrt(4 / max(t, 4))),
    "warm-up then inverse time": (
        lambda opt: ours_sched.SequentialLR(opt, [
            ours_sched.LinearLR(opt, start_factor=0.5, total_iters=3),
            ours_sched.InverseTimeLR(opt, decay_rate=0.1)], milestones=[3]),
        lambda t: 0.5 + 0.5 * t / 3 if t < 3 else 1 / (1 + 0.1 * (t - 3))),
}


@pytest.mark.parametrize("case", list(FORMULAS))
def test_matches_formula(case):
    build, factor = FORMULAS[case]
    opt, _ = optimizers()
    scheduler = build(opt)
    for t in range(STEPS):
        expected = [base * factor(t) for base in BASE_LRS]
        np.testing.assert_allclose(scheduler.get_last_lr(), expected, rtol=1e-12)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], expected, rtol=1e-12)
        scheduler.step()


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "LambdaLR per group",
                                  "SequentialLR", "ChainedScheduler"])
def test_state_dict_round_trip_continues_identically(case):
    first_opt, _ = optimizers()
    first = SAME_AS_TORCH[case](ours_sched, first_opt)
    for _ in range(7):
        first.step()
    opt_state, sched_state = first_opt.state_dict(), first.state_dict()
    second_opt, _ = optimizers()
    second = SAME_AS_TORCH[case](ours_sched, second_opt)
    second_opt.load_state_dict(opt_state)
    second.load_state_dict(sched_state)
    assert second.get_last_lr() == first.get_last_lr()
    for _ in range(10):
        first.step()
        second.step()
        assert second.get_last_lr() == first.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects_attributes():
    opt, _ = optimizers()
    halving = Halving()
    halving.rate = 0.25
    saved = ours_sched.LambdaLR(opt, [lr_lambda, halving]).state_dict()
    assert saved["lr_lambdas"] == [None, {"rate": 0.25}]
    fresh = Halving()
    ours_sched.LambdaLR(opt, [lr_lambda, fresh]).load_state_dict(saved)
    assert fresh.rate == 0.25


def test_base_state():
    opt, _ = optimizers()
    scheduler = ours_sched.StepLR(opt, step_size=2)
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == BASE_LRS
    assert [g["initial_lr"] for g in opt.param_groups] == BASE_LRS
    scheduler.step()
    assert scheduler.last_epoch == 1
    lrs = scheduler.get_last_lr()
    lrs.append(1.0)
    assert len(scheduler.get_last_lr()) == 2


def test_resume_with_last_epoch():
    opt, _ = optimizers()
    with pytest.raises(ValueError, match="initial_lr"):
        ours_sched.ExponentialLR(opt, 0.5, last_epoch=3)
    first = ours_sched.ExponentialLR(opt, 0.5)
    first.step()
    resumed = ours_sched.ExponentialLR(opt, 0.5, last_epoch=first.last_epoch)
    assert resumed.last_epoch == 2 and resumed.get_last_lr() == first.get_last_lr()


@pytest.mark.parametrize(("build", "named"), [
    (lambda opt: ours_sched.StepLR(opt, step_size=0), "step_size"),
    (lambda opt: ours_sched.StepLR(opt, step_size=2.5), "step_size"),
    (lambda opt: ours_sched.StepLR(opt, 2, gamma=-0.1), "gamma"),
    (lambda opt: ours_sched.ExponentialLR(opt, gamma=float("nan")), "gamma"),
    (lambda opt: ours_sched.InverseTimeLR(opt, decay_rate=-1.0), "decay_rate"),
    (lambda opt: ours_sched.InverseSqrtLR(opt, warmup_steps=0), "warmup_steps"),
    (lambda opt: ours_sched.CosineAnnealingLR(opt, T_max=0), "T_max"),
    (lambda opt: ours_sched.CosineAnnealingLR(opt, 5, eta_min=-1.0), "eta_min"),
    (lambda opt: ours_sched.LinearLR(opt, start_factor=0.0), "start_factor"),
    (lambda opt: ours_sched.LinearLR(opt, end_factor=1.5), "end_factor"),
    (lambda opt: ours_sched.LinearLR(opt, total_iters=0), "total_iters"),
    (lambda opt: ours_sched.LambdaLR(opt, [lr_lambda]), "lr_lambda"),
    (lambda opt: ours_sched.StepLR(opt, 2, last_epoch=-2), "last_epoch"),
    (lambda opt: ours_sched.SequentialLR(opt, [ours_sched.StepLR(opt, 2)], milestones=[3]),
     "milestone"),
    (lambda opt: ours_sched.SequentialLR(
        opt, [ours_sched.StepLR(opt, 2)] * 3, milestones=[5, 5]), "increasing"),
    (lambda opt: ours_sched.ChainedScheduler([]), "at least one"),
    (lambda opt: ours_sched.ChainedScheduler(
        [ours_sched.StepLR(opt, 2), ours_sched.StepLR(optimizers()[0], 2)]),
     "another optimizer"),
])
def test_bad_arguments_raise_naming_them(build, named):
    opt, _ = optimizers()
    with pytest.raises(ValueError, match=named):
        build(opt)


def test_bad_types():
    _, theirs = optimizers()
    with pytest.raises(TypeError, match="not an Optimizer"):
        ours_sched.StepLR(theirs, 2)
    opt, _ = optimizers()
    with pytest.raises(TypeError, match="callable"):
        ours_sched.LambdaLR(opt, 0.5)
    with pytest.raises(TypeError, match="not an LRScheduler"):
        ours_sched.ChainedScheduler([object()], optimizer=opt)


def test_wrong_state_dict_raises():
    opt, _ = optimizers()
    step = ours_sched.StepLR(opt, 2)
    exponential = ours_sched.ExponentialLR(opt, 0.5)
    with pytest.raises(ValueError, match="ExponentialLR state_dict must have the keys"):
        exponential.load_state_dict(step.state_dict())
    chained = ours_sched.ChainedScheduler([step, exponential])
    with pytest.raises(ValueError, match="states of 2 schedulers"):
        chained.load_state_dict({"_schedulers": [step.state_dict()], "_last_lr": [0.1, 0.1]})
