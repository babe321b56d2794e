"""Fused optimizer steps (rosenblatt.kernels.optim) against a float64 NumPy
reference written here and, when torch is installed, against torch.optim."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import kernels

STEPS = 5
SHAPES = [(3, 5), (7,), (2, 3, 4), (1,), (17, 61)]  # odd sizes: vector bodies and tails

# Per optimizer: its kernel, its state lists (keyword names, in signature
# order) and torch.optim's name for each state.
KERNELS = {
    "sgd": kernels.sgd_,
    "adagrad": kernels.adagrad_,
    "adadelta": kernels.adadelta_,
    "rmsprop": kernels.rmsprop_,
    "adam": kernels.adam_,
    "adamw": kernels.adamw_,
}
STATES = {
    "sgd": {"momentum_buffer_list": "momentum_buffer"},
    "adagrad": {"state_sums": "sum"},
    "adadelta": {"square_avgs": "square_avg", "acc_deltas": "acc_delta"},
    "rmsprop": {
        "square_avgs": "square_avg",
        "grad_avgs": "grad_avg",
        "momentum_buffer_list": "momentum_buffer",
    },
    "adam": {
        "exp_avgs": "exp_avg",
        "exp_avg_sqs": "exp_avg_sq",
        "max_exp_avg_sqs": "max_exp_avg_sq",
    },
}
STATES["adamw"] = STATES["adam"]
TAKES_STEP = {"adagrad", "adam", "adamw"}
REQUIRED = {  # the lists that every call needs (the others depend on the options)
    "sgd": {"params", "grads"},
    "adagrad": {"params", "grads", "state_sums"},
    "adadelta": {"params", "grads", "square_avgs", "acc_deltas"},
    "rmsprop": {"params", "grads", "square_avgs"},
    "adam": {"params", "grads", "exp_avgs", "exp_avg_sqs"},
    "adamw": {"params", "grads", "exp_avgs", "exp_avg_sqs"},
}


def _grid(**axes):
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


# Every option combination worth telling apart. beta1 = 0.4 and alpha = 0.3
# take the other branch of torch's lerp (weight >= 0.5).
OPTIONS = {
    "sgd": [
        o for o in _grid(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3],
                         nesterov=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True])
        if not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))
        and not (o["momentum"] == 0 and o["dampening"] != 0)
    ],
    "adagrad": _grid(lr=[0.1], lr_decay=[0.0, 0.1], weight_decay=[0.0, 0.1],
                     maximize=[False, True], initial_accumulator_value=[0.0, 0.5]),
    "adadelta": _grid(lr=[0.5], rho=[0.9, 0.3], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "rmsprop": _grid(lr=[0.01], alpha=[0.99, 0.3], centered=[False, True], momentum=[0.0, 0.9],
                     weight_decay=[0.0, 0.1], maximize=[False, True]),
    "adam": _grid(lr=[0.01], beta1=[0.9, 0.4], amsgrad=[False, True], weight_decay=[0.0, 0.1],
                  maximize=[False, True]),
}
OPTIONS["adamw"] = OPTIONS["adam"]
CASES = [(name, options) for name in KERNELS for options in OPTIONS[name]]


def _case_id(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


def used_states(name: str, options: dict) -> list[str]:
    """The state lists these options use (the others are passed as None)."""
    unused = set()
    if name == "sgd" and options.get("momentum", 0) == 0:
        unused.add("momentum_buffer_list")
    if name == "rmsprop":
        if not options.get("centered", False):
            unused.add("grad_avgs")
        if options.get("momentum", 0) == 0:
            unused.add("momentum_buffer_list")
    if name in ("adam", "adamw") and not options.get("amsgrad", False):
        unused.add("max_exp_avg_sqs")
    return [s for s in STATES[name] if s not in unused]


def init_states(name: str, params: list[np.ndarray], options: dict) -> dict:
    """State arrays as torch initialises them; SGD's buffers hold NaN, which
    fresh_buffers=True on the first step must ignore."""
    states = {}
    for state in used_states(name, options):
        if name == "sgd":
            states[state] = [np.full_like(p, np.nan) for p in params]
        elif name == "adagrad":
            value = options.get("initial_accumulator_value", 0.0)
            states[state] = [np.full_like(p, value) for p in params]
        else:
            states[state] = [np.zeros_like(p) for p in params]
    return states


def kernel_options(name: str, options: dict) -> dict:
    return {k: v for k, v in options.items() if k != "initial_accumulator_value"}


def ours_step(name, params, grads, states, options, t):
    """Step t (1-based) with our kernel."""
    kwargs = kernel_options(name, options)
    if name in TAKES_STEP:
        kwargs["step"] = t
    if name == "sgd":
        kwargs["fresh_buffers"] = t == 1
    lists = {s: states.get(s) for s in STATES[name]}
    KERNELS[name](params, grads, **lists, **kwargs)


# ---------------------------------------------------------------- reference


def reference_step(name, p, g, s, o, t):
    """Step t of one parameter, float64, written from the textbook equations.
    Returns the new parameter; updates the state dict s in place."""
    g = -g if o.get("maximize") else g
    wd = o.get("weight_decay", 0.0)
    lr = o["lr"]
    if name != "adamw":
        g = g + wd * p
    if name == "sgd":
        mu, d = o["momentum"], o["dampening"]
        if mu != 0:
            b = g.copy() if t == 1 else mu * s["momentum_buffer_list"] + (1 - d) * g
            s["momentum_buffer_list"] = b
            g = g + mu * b if o["nesterov"] else b
        return p - lr * g
    if name == "adagrad":
        s["state_sums"] = s["state_sums"] + g * g
        clr = lr / (1 + (t - 1) * o["lr_decay"])
        return p - clr * g / (np.sqrt(s["state_sums"]) + 1e-10)
    if name == "adadelta":
        rho, eps = o["rho"], 1e-6
        s["square_avgs"] = rho * s["square_avgs"] + (1 - rho) * g * g
        dx = np.sqrt(s["acc_deltas"] + eps) / np.sqrt(s["square_avgs"] + eps) * g
        s["acc_deltas"] = rho * s["acc_deltas"] + (1 - rho) * dx * dx
        return p - lr * dx
    if name == "rmsprop":
        a, eps, mu = o["alpha"], 1e-8, o["momentum"]
        s["square_avgs"] = a * s["square_avgs"] + (1 - a) * g * g
        if o["centered"]:
            s["grad_avgs"] = a * s["grad_avgs"] + (1 - a) * g
            r = np.sqrt(s["square_avgs"] - s["grad_avgs"] ** 2) + eps
        else:
            r = np.sqrt(s["square_avgs"]) + eps
        if mu > 0:
            s["momentum_buffer_list"] = mu * s["momentum_buffer_list"] + g / r
            return p - lr * s["momentum_buffer_list"]
        return p - lr * g / r
    # Adam, AdamW
    b1, b2, eps = o["beta1"], 0.999, 1e-8
    if name == "adamw":
        p = p * (1 - lr * wd)
    s["exp_avgs"] = b1 * s["exp_avgs"] + (1 - b1) * g
    s["exp_avg_sqs"] = b2 * s["exp_avg_sqs"] + (1 - b2) * g * g
    v = s["exp_avg_sqs"]
    if o["amsgrad"]:
        s["max_exp_avg_sqs"] = np.maximum(s["max_exp_avg_sqs"], v)
        v = s["max_exp_avg_sqs"]
    m_hat = s["exp_avgs"] / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def make_problem(dtype, shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(STEPS)]
    return params, grads


def tolerances(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def assert_lists_close(actual, expected, what, dtype):
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, err_msg=f"{what}[{i}]", **tolerances(dtype))


def check_against_reference(name, options, shapes, dtype):
    """STEPS steps of our kernel against reference_step in float64."""
    params, grads = make_problem(dtype, shapes)
    states = init_states(name, params, options)
    ref_params = [p.astype(np.float64) for p in params]
    ref_states = [{s: states[s][i].astype(np.float64) for s in states} for i in range(len(params))]
    for t in range(1, STEPS + 1):
        ours_step(name, params, grads[t - 1], states, options, t)
        for i, g in enumerate(grads[t - 1]):
            ref_params[i] = reference_step(name, ref_params[i], g.astype(np.float64),
                                           ref_states[i], options, t)
    assert all(p.dtype == dtype for p in params)
    assert_lists_close(params, ref_params, "params", dtype)
    for s in states:
        assert_lists_close(states[s], [r[s] for r in ref_states], s, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_numpy_reference(case, dtype, isa):
    name, options = case
    check_against_reference(name, options, SHAPES, dtype)


# ---------------------------------------------------------------- torch.optim


def torch_optimizer(torch, name, tensors, options):
    o = dict(options)
    if name in ("adam", "adamw"):
        o["betas"] = (o.pop("beta1"), 0.999)
    cls = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
           "adadelta": torch.optim.Adadelta, "rmsprop": torch.optim.RMSprop,
           "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
    if name == "adamw":
        o.setdefault("weight_decay", 0.0)
    return cls(tensors, **o)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch(case, dtype, isa):
    torch = pytest.importorskip("torch")
    name, options = case
    params, grads = make_problem(dtype, seed=1)
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = torch_optimizer(torch, name, tensors, options)
    states = init_states(name, params, options)
    for t in range(1, STEPS + 1):
        ours_step(name, params, grads[t - 1], states, options, t)
        for tensor, g in zip(tensors, grads[t - 1]):
            tensor.grad = torch.from_numpy(g.copy())
        optimizer.step()
    assert_lists_close(params, [x.detach().numpy() for x in tensors], "params", dtype)
    for s, torch_name in STATES[name].items():
        if s in states:
            expected = [optimizer.state[x][torch_name].numpy() for x in tensors]
            assert_lists_close(states[s], expected, s, dtype)


# ---------------------------------------------------------------- edge cases


def _default_options(name):
    """Options under which every state list is used."""
    return {"sgd": dict(lr=0.1, momentum=0.9), "rmsprop": dict(centered=True, momentum=0.9),
            "adam": dict(amsgrad=True), "adamw": dict(amsgrad=True)}.get(name, {})


PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
          89, 97, 101]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize(
    "shapes",
    [[], [(0,)], [(3, 0), (5,), (0, 2)], [(1,)], [(p,) for p in PRIMES]],
    ids=["empty-list", "zero-size", "zero-size-mixed", "single", "primes"],
)
def test_edge_shapes(name, shapes, dtype, isa):
    options = {**OPTIONS[name][0], **_default_options(name)}
    check_against_reference(name, options, shapes, dtype)


@pytest.mark.parametrize("name", KERNELS)
def test_threads_split_arrays_without_changing_results(name):
    # 23 arrays of 4099 (94k elements): the threads' ranges start and end
    # inside arrays; the update is elementwise, so results are bitwise equal.
    shapes = [(4099,)] * 23
    options = {**OPTIONS[name][0], **_default_options(name)}
    results = []
    previous = rb.get_num_threads()
    try:
        for threads in (1, 2, 3):
            rb.set_num_threads(threads)
            params, grads = make_problem(np.float32, shapes, seed=3)
            states = init_states(name, params, options)
            for t in range(1, 3):
                ours_step(name, params, grads[t - 1], states, options, t)
            results.append((params, states))
    finally:
        rb.set_num_threads(previous)
    for params, states in results[1:]:
        for a, b in zip(params, results[0][0]):
            np.testing.assert_array_equal(a, b)
        for s in states:
            for a, b in zip(states[s], results[0][1][s]):
                np.testing.assert_array_equal(a, b)


def test_sgd_fresh_buffers_copies_the_gradient():
    p = np.ones(4, np.float32)
    g = np.arange(4, dtype=np.float32)
    buf = np.full(4, np.nan, np.float32)
    kernels.sgd_([p], [g], [buf], lr=0.5, momentum=0.9, dampening=0.5, weight_decay=0.1,
                 fresh_buffers=True)
    np.testing.assert_array_equal(buf, g + np.float32(0.1))  # d_p, no dampening
    np.testing.assert_allclose(p, 1 - 0.5 * (g + 0.1), rtol=1e-6)


def test_unused_state_lists_are_ignored():
    p, g = [np.ones(3)], [np.ones(3)]
    untouched = [np.full(3, 7.0)]
    kernels.adam_(p, g, [np.zeros(3)], [np.zeros(3)], untouched, step=1)
    kernels.sgd_(p, g, untouched, lr=0.1, fresh_buffers=True)
    kernels.rmsprop_(p, g, [np.zeros(3)], untouched, untouched)
    np.testing.assert_array_equal(untouched[0], 7.0)


def test_read_only_and_shared_grads_are_fine():
    g = np.ones(6)
    g.flags.writeable = False
    params = [np.zeros(3), np.zeros(3)]
    kernels.sgd_(params, [g[:3], g[:3]], lr=1.0)
    np.testing.assert_array_equal(params[0], -1.0)
    np.testing.assert_array_equal(params[1], -1.0)


def test_tuples_and_numpy_scalars_are_accepted():
    p = (np.ones(3, np.float32),)
    kernels.adam_(p, (np.ones(3, np.float32),), (np.zeros(3, np.float32),),
                  (np.zeros(3, np.float32),), step=np.int64(1), lr=np.float32(0.5))
    np.testing.assert_allclose(p[0], 0.5, rtol=1e-6)


# ---------------------------------------------------------------- bad input


def valid_call(name, dtype=np.float32, n=2, **options):
    """(args, kwargs) of a valid call on n arrays of shape (4, 3), with every
    state list the options use."""
    options = {**_default_options(name), **options}
    params = [np.ones((4, 3), dtype) for _ in range(n)]
    grads = [np.ones((4, 3), dtype) for _ in range(n)]
    kwargs = {s: [np.zeros((4, 3), dtype) for _ in range(n)] for s in used_states(name, options)}
    if name in TAKES_STEP:
        kwargs["step"] = 1
    return [params, grads], {**kwargs, **options}


def snapshot(args, kwargs):
    """Copies of every array in the list arguments (other arguments skipped)."""
    lists = [v for v in [*args, *kwargs.values()] if isinstance(v, (list, tuple))]
    return [a.copy() for lst in lists for a in lst if isinstance(a, np.ndarray)]


def assert_raises_untouched(exc, match, name, args, kwargs):
    """The call raises exc matching `match` and leaves every array as it was."""
    before = snapshot(args, kwargs)
    with pytest.raises(exc, match=match):
        KERNELS[name](*args, **kwargs)
    for a, b in zip(snapshot(args, kwargs), before):
        np.testing.assert_array_equal(a, b)


def list_names(name):
    return ["params", "grads"] + used_states(name, _default_options(name))


POSITION = {"params": 0, "grads": 1}  # the other lists are passed by keyword


def _get_list(args, kwargs, list_name):
    return args[POSITION[list_name]] if list_name in POSITION else kwargs[list_name]


def _set_list(args, kwargs, list_name, value):
    if list_name in POSITION:
        args[POSITION[list_name]] = value
    else:
        kwargs[list_name] = value


BAD_LIST_CASES = [(name, lst) for name in KERNELS for lst in list_names(name)]


@pytest.mark.parametrize("name,list_name", BAD_LIST_CASES)
def test_bad_lists(name, list_name):
    args, kwargs = valid_call(name)
    lst = _get_list(args, kwargs, list_name)
    cases = [
        (TypeError, rf"{list_name} must be a list", lst[0]),                  # one array
        # None for a list the options use: "amsgrad=True requires ..." for optional ones
        (TypeError, rf"{list_name} must be a list", None) if list_name in REQUIRED[name]
        else (ValueError, rf"requires {list_name}", None),
        (TypeError, rf"{list_name} must be a list", iter(lst)),
        # a short params list is reported on the first list that disagrees
        (ValueError, rf"{'grads' if list_name == 'params' else list_name} must have one array "
                     "per parameter", lst[:1]),
        (TypeError, rf"{list_name}\[1\] must be a numpy.ndarray", [lst[0], [1.0] * 12]),
        (TypeError, rf"{list_name}\[1\] must have dtype float32 or float64",
         [lst[0], lst[1].astype(np.int32)]),
        (ValueError, rf"{list_name}\[1\] must have the shape of params\[1\]",
         [lst[0], lst[1].reshape(3, 4)]),
        (ValueError, rf"{list_name}\[1\] must be C-contiguous",
         [lst[0], np.ones((4, 6), np.float32)[:, ::2]]),
        (ValueError, rf"{list_name}\[1\] must be C-contiguous",
         [lst[0], np.asfortranarray(np.ones((4, 3), np.float32))]),
    ]
    misaligned = np.frombuffer(bytearray(4 * 12 + 1), np.float32, count=12, offset=1)
    cases.append((ValueError, rf"{list_name}\[1\] must be aligned",
                  [lst[0], misaligned.reshape(4, 3)]))
    if list_name != "params":
        cases.append((TypeError, rf"{list_name}\[1\] must have the dtype of params\[0\]",
                      [lst[0], lst[1].astype(np.float64)]))
    else:  # the params fix the shape: a mismatch is blamed on the others
        cases = [c for c in cases if "shape of" not in c[1]]
        cases.append((TypeError, r"params\[1\] must have the dtype of params\[0\]",
                      [lst[0], lst[1].astype(np.float64)]))
    if list_name != "grads":
        read_only = lst[1].copy()
        read_only.flags.writeable = False
        cases.append((ValueError, rf"{list_name}\[1\] must be writeable", [lst[0], read_only]))
    for exc, match, bad in cases:
        args, kwargs = valid_call(name)
        _set_list(args, kwargs, list_name, bad)
        assert_raises_untouched(exc, match, name, args, kwargs)


@pytest.mark.parametrize("name", KERNELS)
def test_aliasing_is_rejected(name):
    for written in [n for n in list_names(name) if n != "grads"]:
        for other in list_names(name):
            if other == written:
                continue
            args, kwargs = valid_call(name)
            target = _get_list(args, kwargs, written)
            target[1] = _get_list(args, kwargs, other)[1]  # the same array
            assert_raises_untouched(ValueError, "must not share memory", name, args, kwargs)
    # a parameter listed twice, and a state overlapping another index's param
    args, kwargs = valid_call(name)
    args[0][1] = args[0][0]
    assert_raises_untouched(ValueError, r"params\[\d\] must not share memory with params\[\d\]",
                            name, args, kwargs)
    args, kwargs = valid_call(name)
    base = np.zeros(20, np.float32)
    args[0][0] = base[:12].reshape(4, 3)
    args[1][1] = base[8:20].reshape(4, 3)
    assert_raises_untouched(ValueError, "must not share memory", name, args, kwargs)


def test_a_bad_last_array_leaves_the_first_untouched():
    args, kwargs = valid_call("adam", n=3)
    kwargs["exp_avg_sqs"][2] = kwargs["exp_avg_sqs"][2].astype(np.float64)
    assert_raises_untouched(TypeError, r"exp_avg_sqs\[2\]", "adam", args, kwargs)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw"])
def test_missing_state_list(name):
    args, kwargs = valid_call(name)
    missing = {"sgd": "momentum_buffer_list", "rmsprop": "grad_avgs",
               "adam": "max_exp_avg_sqs", "adamw": "max_exp_avg_sqs"}[name]
    kwargs[missing] = None
    assert_raises_untouched(ValueError, f"requires {missing}", name, args, kwargs)
    if name == "rmsprop":
        args, kwargs = valid_call(name)
        kwargs["momentum_buffer_list"] = None
        assert_raises_untouched(ValueError, "momentum > 0 requires momentum_buffer_list",
                                name, args, kwargs)


NAN, INF = float("nan"), float("inf")
V, T = ValueError, TypeError
BAD_SCALARS = {  # argument: [(bad value, the exception it raises)]
    "lr": [(-0.1, V), (NAN, V), (INF, V), ("0.1", T), (True, T), (None, T)],
    "weight_decay": [(-1e-3, V), (NAN, V), (INF, V), ("0", T)],
    "eps": [(-1e-8, V), (NAN, V), (INF, V)],
    "momentum": [(-0.5, V), (NAN, V)],
    "dampening": [(NAN, V), (INF, V), ("x", T)],
    "lr_decay": [(-0.1, V), (NAN, V)],
    "rho": [(-0.1, V), (1.1, V), (NAN, V)],
    "alpha": [(-0.1, V), (1.0, V), (NAN, V)],
    "beta1": [(-0.1, V), (1.0, V), (NAN, V), ([0.9], T)],
    "beta2": [(1.0, V), (1.5, V), (NAN, V)],
    "step": [(0, V), (-3, V), (2**70, V), (1.5, T), ("1", T), (True, T), (None, T)],
    "nesterov": [(1, T), ("yes", T), (None, T)],
    "maximize": [(1, T), (0, T), (None, T)],
    "fresh_buffers": [(1, T)],
    "amsgrad": [(1, T)],
    "centered": [(0, T)],
}
SCALAR_CASES = [
    (name, arg, bad, exc)
    for name, kernel in KERNELS.items()
    for arg, values in BAD_SCALARS.items()
    if arg in inspect.signature(kernel).parameters
    for bad, exc in values
]


@pytest.mark.parametrize("name,arg,bad,exc", SCALAR_CASES, ids=str)
def test_bad_hyper_parameters(name, arg, bad, exc):
    args, kwargs = valid_call(name)
    kwargs[arg] = bad
    assert_raises_untouched(exc, f"^{arg} ", name, args, kwargs)


@pytest.mark.parametrize("momentum,dampening", [(0.0, 0.0), (0.9, 0.1)])
def test_nesterov_requires_momentum_and_no_dampening(momentum, dampening):
    args, kwargs = valid_call("sgd", momentum=momentum, dampening=dampening, nesterov=True)
    assert_raises_untouched(ValueError, "nesterov=True requires momentum > 0 and dampening == 0",
                            "sgd", args, kwargs)


def test_boundary_hyper_parameters_are_accepted():
    for name in KERNELS:
        args, kwargs = valid_call(name, lr=0.0)
        KERNELS[name](*args, **kwargs)
        np.testing.assert_array_equal(args[0][0], 1.0)  # lr = 0 leaves params alone
    for name, extra in [("adadelta", dict(rho=1.0)), ("adadelta", dict(rho=0.0)),
                        ("rmsprop", dict(alpha=0.0)), ("adam", dict(beta1=0.0, beta2=0.0)),
                        ("adagrad", dict(eps=0.0))]:
        args, kwargs = valid_call(name, **extra)
        KERNELS[name](*args, **kwargs)
