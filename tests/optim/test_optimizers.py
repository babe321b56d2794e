"""rb.optim optimizers against torch.optim, param groups, state_dict, one native call per group."""

import numpy as np
import pytest

import rosenblatt.kernels
from rosenblatt import optim
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import Tensor

torch = pytest.importorskip("torch")

SHAPES = [[(3, 4), (5,)], [(2, 3, 2), (1,)]]  # two param groups

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "dampening": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.1}),
    ("Adagrad", {"maximize": True}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"alpha": 0.9, "centered": True, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99), "weight_decay": 0.1}),
]

KERNELS = {"SGD": "sgd_", "Adagrad": "adagrad_", "Adadelta": "adadelta_",
           "RMSprop": "rmsprop_", "Adam": "adam_", "AdamW": "adamw_"}


def tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-13}


def make_pair(name, options, dtype, shapes=SHAPES, seed=0):
    """Our optimizer and torch's over equal parameters; group 1 overrides lr."""
    rng = np.random.default_rng(seed)
    arrays = [[rng.standard_normal(s).astype(dtype) for s in group] for group in shapes]
    ours = [[Parameter(a.copy()) for a in group] for group in arrays]
    theirs = [[torch.tensor(a, requires_grad=True) for a in group] for group in arrays]
    lr = options.get("lr", 0.01)
    ours_opt = getattr(optim, name)([{"params": ours[0]}, {"params": ours[1], "lr": lr / 2}],
                                    **options)
    theirs_opt = getattr(torch.optim, name)(
        [{"params": theirs[0]}, {"params": theirs[1], "lr": lr / 2}], **options)
    return ours_opt, theirs_opt, sum(ours, []), sum(theirs, [])


def set_grads(ours, theirs, rng, skip=()):
    for i, (p, t) in enumerate(zip(ours, theirs)):
        if i in skip:
            p.grad, t.grad = None, None
            continue
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = Tensor(g.copy())
        t.grad = torch.from_numpy(g.copy())


def assert_same(ours_opt, theirs_opt, ours, theirs):
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), **tol(p.dtype))
    ours_state = ours_opt.state_dict()["state"]
    theirs_state = theirs_opt.state_dict()["state"]
    assert set(ours_state) == set(theirs_state)
    for i, state in ours_state.items():
        assert set(state) == set(theirs_state[i]), i
        for key, value in state.items():
            expected = theirs_state[i][key]
            if key == "step":
                assert value == int(expected)
            else:
                assert isinstance(value, np.ndarray) and value.dtype == ours[i].dtype
                np.testing.assert_allclose(value, expected.numpy(), **tol(value.dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "options"), CASES)
def test_matches_torch(name, options, dtype):
    ours_opt, theirs_opt, ours, theirs = make_pair(name, options, dtype)
    rng = np.random.default_rng(1)
    for step in range(5):
        # the last parameter misses step 2: its step count then lags the others'
        set_grads(ours, theirs, rng, skip={3} if step == 2 else ())
        ours_opt.step()
        theirs_opt.step()
        assert_same(ours_opt, theirs_opt, ours, theirs)


@pytest.mark.parametrize(("name", "options"), [CASES[1], CASES[4], CASES[9], CASES[12]])
def test_mixed_dtypes_in_a_group(name, options):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(4), rng.standard_normal((2, 2)).astype(np.float32)]
    ours = [Parameter(a.copy()) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_opt = getattr(optim, name)(ours, **options)
    theirs_opt = getattr(torch.optim, name)(theirs, **options)
    for _ in range(3):
        set_grads(ours, theirs, rng)
        ours_opt.step()
        theirs_opt.step()
    assert_same(ours_opt, theirs_opt, ours, theirs)


@pytest.mark.parametrize(("name", "options"), CASES)
def test_one_native_call_per_group_and_dtype(name, options, monkeypatch):
    kernel = getattr(rosenblatt.kernels, KERNELS[name])
    calls = []

    def counting(params, *args, **kwargs):
        calls.append(len(params))
        return kernel(params, *args, **kwargs)

    monkeypatch.setattr(rosenblatt.kernels, KERNELS[name], counting)
    shapes = [[(3, 4), (5,), (7,)], [(2, 3, 2), (1,)]]
    ours_opt, _, ours, _ = make_pair(name, options, np.float32, shapes)
    rng = np.random.default_rng(3)
    for _ in range(3):
        for p in ours:
            p.grad = Tensor(rng.standard_normal(p.shape).astype(np.float32))
        calls.clear()
        ours_opt.step()
        assert calls == [3, 2]
    mixed = [Parameter(np.ones(3)), Parameter(np.ones(2, np.float32)), Parameter(np.ones(4))]
    ours_opt.add_param_group({"params": mixed})
    for p in mixed:
        p.grad = Tensor(np.ones(p.shape, p.dtype))
    calls.clear()
    ours_opt.step()
    assert calls == [3, 2, 2, 1]  # the mixed group: one call per dtype


@pytest.mark.parametrize(("name", "options"), CASES)
def test_state_dict_round_trip_continues_identically(name, options):
    first, _, ours, _ = make_pair(name, options, np.float64)
    rng = np.random.default_rng(4)
    grads = [[rng.standard_normal(p.shape) for p in ours] for _ in range(5)]

    def run(opt, params, steps):
        for step_grads in steps:
            for p, g in zip(params, step_grads):
                p.grad = Tensor(g.copy())
            opt.step()

    run(first, ours, grads[:3])
    saved = first.state_dict()
    copies = [Parameter(p.data.copy()) for p in ours]
    second = getattr(optim, name)([{"params": copies[:2]}, {"params": copies[2:]}], lr=0.123)
    second.load_state_dict(saved)
    assert [g["lr"] for g in second.param_groups] == [g["lr"] for g in first.param_groups]
    for p, q in zip(ours, copies):
        for key, value in first.state[p].items():
            if isinstance(value, np.ndarray):
                assert not np.shares_memory(value, second.state[q][key])
    run(first, ours, grads[3:])
    run(second, copies, grads[3:])
    for p, q in zip(ours, copies):
        np.testing.assert_array_equal(p.data, q.data)


def test_loads_a_torch_state_dict():
    ours_opt, theirs_opt, ours, theirs = make_pair("Adam", {"lr": 0.01, "amsgrad": True},
                                                   np.float64)
    rng = np.random.default_rng(5)
    for _ in range(2):
        set_grads(ours, theirs, rng)
        theirs_opt.step()
    for p, t in zip(ours, theirs):
        p.data[...] = t.detach().numpy()
    saved = theirs_opt.state_dict()
    saved = {"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in saved["state"].items()},
             "param_groups": saved["param_groups"]}
    ours_opt.load_state_dict(saved)
    assert "foreach" not in ours_opt.param_groups[0]
    for _ in range(2):
        set_grads(ours, theirs, rng)
        ours_opt.step()
        theirs_opt.step()
    assert_same(ours_opt, theirs_opt, ours, theirs)


def test_state_dict_structure():
    p, q = Parameter(np.ones(3, np.float32)), Parameter(np.ones(2, np.float32))
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}])
    assert opt.state_dict() == {
        "state": {},
        "param_groups": [
            {**opt.defaults, "params": [0]},
            {**opt.defaults, "lr": 0.5, "params": [1]},
        ],
    }
    q.grad = Tensor(np.ones(2, np.float32))
    opt.step()
    state = opt.state_dict()["state"]
    assert list(state) == [1] and state[1]["step"] == 1
    assert set(state[1]) == {"step", "exp_avg", "exp_avg_sq"}


def test_parameters_without_grad_are_skipped_and_grads_untouched():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    q.grad = Tensor(np.full(2, 0.5))
    opt = optim.SGD([p, q], lr=1.0, momentum=0.9)
    opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))
    np.testing.assert_array_equal(q.data, np.full(2, 0.5))
    np.testing.assert_array_equal(q.grad.data, np.full(2, 0.5))
    assert p not in opt.state or not opt.state[p]


def test_updates_in_place_and_bumps_version():
    p = Parameter(np.ones(3, np.float32))
    data, version = p.data, p._version
    p.grad = Tensor(np.ones(3, np.float32))
    optim.Adam([p]).step()
    assert p.data is data and p._version == version + 1


def test_zero_grad():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = optim.SGD([p, q])
    p.grad = Tensor(np.ones(3))
    grad = p.grad.data
    opt.zero_grad(set_to_none=False)
    assert p.grad.data is grad and not grad.any() and q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_step_calls_closure_once_and_returns_its_loss():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.5)
    calls = []

    def closure():
        calls.append(1)
        p.grad = Tensor(np.ones(2))
        return 3.5

    assert opt.step(closure) == 3.5 and calls == [1]
    np.testing.assert_array_equal(p.data, np.full(2, 0.5))
    assert opt.step() is None


def test_param_groups_and_add_param_group():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = optim.RMSprop([p], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": q, "lr": 0.2})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["params"] == [q]
    assert "Parameter Group 1" in repr(opt)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ValueError, match="unknown option"):
        opt.add_param_group({"params": [Parameter(np.ones(1))], "betas": (0.9, 0.9)})
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [Parameter(np.ones(1))], "lr": -0.1})
    assert len(opt.param_groups) == 2


def test_adamw_is_adam_with_decoupled_weight_decay():
    p = Parameter(np.ones(3))
    opt = optim.AdamW([p])
    assert isinstance(opt, optim.Adam)
    assert opt.defaults["weight_decay"] == 1e-2 and opt.defaults["decoupled_weight_decay"]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(("name", "options", "named"), [
    ("SGD", {"lr": -0.1}, "lr"),
    ("SGD", {"lr": float("nan")}, "lr"),
    ("SGD", {"lr": float("inf")}, "lr"),
    ("SGD", {"momentum": -0.5}, "momentum"),
    ("SGD", {"momentum": 0.0, "nesterov": True}, "nesterov"),
    ("SGD", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, "nesterov"),
    ("SGD", {"noise_std": -1.0}, "noise_std"),
    ("SGD", {"noise_std": 0.1, "noise_decay": float("nan")}, "noise_decay"),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    ("Adam", {"betas": (0.9,)}, "betas"),
    ("AdamW", {"eps": -1e-8}, "eps"),
    ("AdamW", {"weight_decay": float("nan")}, "weight_decay"),
    ("Adagrad", {"lr_decay": -1.0}, "lr_decay"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("Adadelta", {"rho": 1.5}, "rho"),
    ("RMSprop", {"alpha": 1.0}, "alpha"),
    ("RMSprop", {"momentum": float("nan")}, "momentum"),
])
def test_bad_option_raises_naming_it(name, options, named):
    with pytest.raises(ValueError, match=named):
        getattr(optim, name)([Parameter(np.ones(2))], **options)
    with pytest.raises(ValueError, match=named):  # also as a group's own option
        getattr(optim, name)([{"params": [Parameter(np.ones(2))], **options}])


def test_bad_params():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([{"params": []}])
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([np.ones(2)])
    with pytest.raises(TypeError, match="pass \\[tensor\\]"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {p}}])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p])
    with pytest.raises(TypeError, match="float32 or float64"):
        optim.SGD([Tensor(np.ones(2, np.int64))])
    with pytest.raises(TypeError, match="nesterov must be a bool"):
        optim.SGD([p], momentum=0.9, nesterov="yes")


def _trained_adam():
    p, q = Parameter(np.ones(3)), Parameter(np.ones((2, 2)))
    opt = optim.Adam([{"params": [p]}, {"params": [q]}])
    p.grad, q.grad = Tensor(np.ones(3)), Tensor(np.ones((2, 2)))
    opt.step()
    return opt


@pytest.mark.parametrize(("corrupt", "named"), [
    (lambda sd: sd.pop("state"), "keys 'state' and 'param_groups'"),
    (lambda sd: sd["param_groups"].pop(), "1 parameter groups, the optimizer has 2"),
    (lambda sd: sd["param_groups"][1]["params"].append(7), r"param_groups\[1\] has 2 parameters"),
    (lambda sd: sd["state"][0].update(exp_avg=np.ones(4)), r"state\[0\]\['exp_avg'\] has shape"),
    (lambda sd: sd["state"][1].update(step=-1), r"state\[1\]\['step'\]"),
    (lambda sd: sd["state"][1].update(step=1.5), r"state\[1\]\['step'\]"),
    (lambda sd: sd["state"].update({5: {"step": 1}}), r"state\[5\] belongs to no parameter"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr"),
    (lambda sd: sd["param_groups"][0].update(betas=(0.9, 2.0)), r"betas\[1\]"),
])
def test_bad_state_dict_raises_and_changes_nothing(corrupt, named):
    opt = _trained_adam()
    saved = opt.state_dict()
    saved = {"state": {i: dict(s) for i, s in saved["state"].items()},
             "param_groups": [{**g, "params": list(g["params"])} for g in saved["param_groups"]]}
    corrupt(saved)
    before_groups, before_state = opt.param_groups, opt.state
    before = snapshot(opt)
    with pytest.raises(ValueError, match=named):
        opt.load_state_dict(saved)
    assert opt.param_groups is before_groups and opt.state is before_state
    after = snapshot(opt)
    assert after.keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)


def snapshot(opt):
    """Copies of every state entry and group option, keyed by (parameter id, name)."""
    out = {(id(p), k): np.copy(v) for p, s in opt.state.items() for k, v in s.items()}
    for i, group in enumerate(opt.param_groups):
        out.update({(i, k): np.copy(v) for k, v in group.items() if k != "params"})
    return out


def test_kernel_errors_name_the_argument():
    p = Parameter(np.ones(3))
    p.grad = Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"grads\[0\]"):
        optim.Adam([p]).step()
