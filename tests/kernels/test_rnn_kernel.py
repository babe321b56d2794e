"""rb.kernels.rnn_forward / rnn_backward against the float64 NumPy BPTT reference,
on every SIMD path, both dtypes, edge shapes, thread counts, and bad input."""

import numpy as np
import pytest
from rnn_reference import random_problem, reference_sequence

import rosenblatt as rb
from rosenblatt import kernels

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def run_kernel(mode, arrays, seeds, dtype, **options):
    a = {k: None if v is None else v.astype(dtype) for k, v in arrays.items()}
    s = {k: None if v is None else v.astype(dtype) for k, v in seeds.items()}
    fwd = kernels.rnn_forward(mode, a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"],
                              c0=a["c0"], w_ch=a["w_ch"], **options)
    grads = kernels.rnn_backward(mode, a["x"], fwd.saved, a["w_ih"], a["w_hh"], a["b_ih"],
                                 a["b_hh"], dout=s["dout"], dh_n=s["dhn"], dc_n=s["dcn"],
                                 w_ch=a["w_ch"], **options)
    return fwd, grads


def check_against_reference(mode, arrays, seeds, dtype, tol=None, **options):
    fwd, grads = run_kernel(mode, arrays, seeds, dtype, **options)
    out, h_n, c_n, ref = reference_sequence(mode, **arrays, **options, **seeds)
    tol = tol or TOL[dtype]
    np.testing.assert_allclose(fwd.output, out, **tol, err_msg="output")
    np.testing.assert_allclose(fwd.h_n, h_n, **tol, err_msg="h_n")
    if mode == "lstm":
        np.testing.assert_allclose(fwd.c_n, c_n, **tol, err_msg="c_n")
    else:
        assert fwd.c_n is None and grads.c0 is None
    for name in ref:
        if arrays[name] is not None:
            np.testing.assert_allclose(getattr(grads, name), ref[name], **tol,
                                       err_msg=f"gradient of {name}")
    for name in ("b_ih", "b_hh", "w_ch"):
        if arrays[name] is None:
            assert getattr(grads, name) is None


CASES = [
    ("lstm", {}, {}),
    ("lstm", dict(peephole=True), dict(lengths=[3, 6, 1, 6], reverse=True)),
    ("gru", {}, dict(lengths=[6, 2, 5, 3])),
    ("gru", dict(bias=False), dict(reverse=True)),
    ("rnn_tanh", {}, dict(leak=0.25, lengths=[1, 2, 3, 6])),
    ("rnn_relu", {}, dict(reverse=True)),
]


@pytest.mark.parametrize("mode,problem,options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_reference_on_every_isa(isa, mode, problem, options, dtype):
    arrays, seeds = random_problem(mode, 6, 4, 5, 7, seed=11, **problem)
    check_against_reference(mode, arrays, seeds, dtype, **options)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_blocked_sizes(mode):
    """Sizes past the GEMM's blocks (k > 256 for every product, many tiles), a prime batch."""
    arrays, seeds = random_problem(mode, 3, 37, 300, 261, seed=1, scale=0.1)
    check_against_reference(mode, arrays, seeds, np.float64, lengths=[3, 1, 2] * 12 + [2])
    check_against_reference(mode, arrays, seeds, np.float32,
                            tol=dict(rtol=1e-4, atol=2e-5))


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_edge_shapes(mode):
    for steps, batch, inputs, hidden in [(1, 1, 1, 1), (1, 3, 2, 1), (4, 1, 1, 3)]:
        arrays, seeds = random_problem(mode, steps, batch, inputs, hidden, seed=steps + batch)
        check_against_reference(mode, arrays, seeds, np.float64)
    arrays, seeds = random_problem(mode, 3, 0, 2, 4)   # an empty batch
    fwd, grads = run_kernel(mode, arrays, seeds, np.float32)
    assert fwd.output.shape == (3, 0, 4) and grads.x.shape == (3, 0, 2)
    assert not grads.w_ih.any() and not grads.w_hh.any()


def test_threads_give_the_same_answer():
    arrays, seeds = random_problem("lstm", 5, 33, 20, 40, seed=3)
    previous = rb.get_num_threads()
    try:
        rb.set_num_threads(1)
        one = run_kernel("lstm", arrays, seeds, np.float32, lengths=np.arange(33) % 5 + 1)
        rb.set_num_threads(2)
        two = run_kernel("lstm", arrays, seeds, np.float32, lengths=np.arange(33) % 5 + 1)
    finally:
        rb.set_num_threads(previous)
    for a, b in zip(one[0][:3] + tuple(one[1]), two[0][:3] + tuple(two[1])):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_states_share_one_array_and_inputs_untouched():
    arrays, seeds = random_problem("lstm", 4, 2, 3, 5)
    before = {k: v.copy() for k, v in arrays.items() if v is not None}
    fwd, _ = run_kernel("lstm", arrays, seeds, np.float64)
    assert fwd.states.shape == (6, 2, 5)
    np.testing.assert_array_equal(fwd.states[4], fwd.h_n)
    for k, v in before.items():
        np.testing.assert_array_equal(arrays[k], v)


def _lstm_args(dtype=np.float32):
    rng = np.random.default_rng(0)
    return dict(x=rng.random((4, 2, 3), dtype), h0=np.zeros((2, 5), dtype),
                w_ih=rng.random((20, 3), dtype), w_hh=rng.random((20, 5), dtype),
                c0=np.zeros((2, 5), dtype))


@pytest.mark.parametrize("change,kind,message", [
    (dict(mode="lstmx"), ValueError, "mode"),
    (dict(x=np.zeros((4, 2, 3), np.float16)), TypeError, "x must have dtype"),
    (dict(x=np.zeros((4, 2), np.float32)), ValueError, "x must be 3-D"),
    (dict(x=np.zeros((0, 2, 3), np.float32)), ValueError, "at least one time step"),
    (dict(x=np.zeros((4, 2, 4), np.float32)), ValueError, "w_ih must have shape"),
    (dict(w_hh=np.zeros((16, 5), np.float32)), ValueError, "w_hh"),
    (dict(h0=np.zeros((3, 5), np.float32)), ValueError, "h0 must have shape"),
    (dict(h0=np.zeros((2, 5), np.float64)), TypeError, "h0"),
    (dict(c0=None), ValueError, "c0"),
    (dict(lengths=np.array([5, 1])), ValueError, r"lengths\[0\] = 5"),
    (dict(lengths=np.array([1, 0])), ValueError, r"lengths\[1\] = 0"),
    (dict(lengths=np.array([1.0, 2.0])), TypeError, "lengths"),
    (dict(lengths=np.array([1, 2, 3])), ValueError, "lengths must have shape"),
    (dict(leak=0.5), ValueError, "leak"),
    (dict(w_ch=np.zeros(14, np.float32)), ValueError, "w_ch"),
    (dict(b_ih=np.zeros(21, np.float32)), ValueError, "b_ih"),
    (dict(reverse=1), TypeError, "reverse"),
])
def test_bad_input(change, kind, message):
    args = _lstm_args()
    mode = change.pop("mode", "lstm")
    options = {k: change.pop(k) for k in ("lengths", "leak", "w_ch", "b_ih", "reverse", "c0")
               if k in change}
    args.update(change)
    c0 = options.pop("c0", args.pop("c0"))
    args.pop("c0", None)
    with pytest.raises(kind, match=message):
        kernels.rnn_forward(mode, args["x"], args["h0"], args["w_ih"], args["w_hh"],
                            options.pop("b_ih", None), c0=c0, **options)


def test_bad_backward_input():
    args = _lstm_args()
    fwd = kernels.rnn_forward("lstm", args["x"], args["h0"], args["w_ih"], args["w_hh"],
                              c0=args["c0"])
    with pytest.raises(ValueError, match="saved must have shape"):
        kernels.rnn_backward("lstm", args["x"], fwd.saved[:2], args["w_ih"], args["w_hh"])
    with pytest.raises(ValueError, match="dout must have shape"):
        kernels.rnn_backward("lstm", args["x"], fwd.saved, args["w_ih"], args["w_hh"],
                             dout=np.zeros((4, 2, 4), np.float32))
    with pytest.raises(ValueError, match="dc_n is for the LSTM only"):
        g = kernels.rnn_forward("gru", args["x"], args["h0"], np.zeros((15, 3), np.float32),
                                np.zeros((15, 5), np.float32))
        kernels.rnn_backward("gru", args["x"], g.saved, np.zeros((15, 3), np.float32),
                             np.zeros((15, 5), np.float32), dc_n=np.zeros((2, 5), np.float32))


@pytest.mark.parametrize("mode,problem,options", CASES)
def test_inference_mode_gives_the_same_states(mode, problem, options):
    """training=False saves nothing, with the same outputs and states."""
    arrays, _ = random_problem(mode, 6, 4, 5, 7, seed=11, **problem)
    a = {k: None if v is None else v.astype(np.float32) for k, v in arrays.items()}
    results = [kernels.rnn_forward(mode, a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"],
                                   a["b_hh"], c0=a["c0"], w_ch=a["w_ch"], training=training,
                                   **options) for training in (True, False)]
    np.testing.assert_array_equal(results[0].states, results[1].states)
    assert results[1].saved.shape == (6, 4, 0)
    with pytest.raises(ValueError, match="saved must have shape"):
        kernels.rnn_backward(mode, a["x"], results[1].saved, a["w_ih"], a["w_hh"], a["b_ih"],
                             a["b_hh"], w_ch=a["w_ch"], **options)
