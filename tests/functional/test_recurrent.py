"""rnn_sequence (the fused op) and its composed time-loop oracle against the NumPy
BPTT reference, gradcheck, the multi-layer rnn() and the cells, bad input."""

import numpy as np
import pytest
from rnn_reference import random_problem, reference_sequence

import rosenblatt as rb
from rosenblatt.autograd import gradcheck
from rosenblatt.functional import recurrent as R

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
OPS = {"fused": R.rnn_sequence, "composed": R.rnn_sequence_composed}
NAMES = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "w_ch")


def run(op, mode, arrays, seeds, dtype, **options):
    """Forward and backward of ``op``; returns (out, h_n, c_n, {name: gradient})."""
    tensors = {k: rb.Tensor(v.astype(dtype), requires_grad=True) for k, v in arrays.items()
               if v is not None}
    out, h_n, c_n = op(mode, tensors["x"], tensors["h0"], tensors["w_ih"], tensors["w_hh"],
                       tensors.get("b_ih"), tensors.get("b_hh"), c0=tensors.get("c0"),
                       weight_ch=tensors.get("w_ch"), **options)
    loss = (out * seeds["dout"].astype(dtype)).sum() + (h_n * seeds["dhn"].astype(dtype)).sum()
    if c_n is not None:
        loss = loss + (c_n * seeds["dcn"].astype(dtype)).sum()
    loss.backward()
    grads = {k: t.grad.data for k, t in tensors.items()}
    return out.data, h_n.data, None if c_n is None else c_n.data, grads


CASES = [
    ("lstm", {}, {}),
    ("lstm", dict(peephole=True), dict(lengths=[5, 2, 4], reverse=True)),
    ("lstm", dict(bias=False), dict(lengths=[1, 5, 3])),
    ("gru", {}, dict(reverse=True)),
    ("gru", {}, dict(lengths=[3, 5, 1])),
    ("rnn_tanh", {}, dict(lengths=[4, 5, 2], reverse=True)),
    ("rnn_relu", {}, {}),
    ("rnn_tanh", {}, dict(leak=0.7, lengths=[2, 5, 5])),
]


@pytest.mark.parametrize("which", list(OPS))
@pytest.mark.parametrize("mode,problem,options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequence_matches_numpy_bptt(which, mode, problem, options, dtype):
    arrays, seeds = random_problem(mode, 5, 3, 4, 6, seed=len(str(options)), **problem)
    out, h_n, c_n, grads = run(OPS[which], mode, arrays, seeds, dtype, **options)
    ref_out, ref_h, ref_c, ref_grads = reference_sequence(mode, **arrays, **options, **seeds)
    tol = TOL[dtype]
    np.testing.assert_allclose(out, ref_out, **tol, err_msg="output")
    np.testing.assert_allclose(h_n, ref_h, **tol, err_msg="h_n")
    if mode == "lstm":
        np.testing.assert_allclose(c_n, ref_c, **tol, err_msg="c_n")
    assert out.dtype == dtype
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], **tol,
                                   err_msg=f"gradient of {name}")


def test_padding_changes_nothing_real():
    """Garbage in the padded steps changes no output, state or gradient of the real steps."""
    arrays, seeds = random_problem("lstm", 6, 3, 4, 5, seed=3)
    lengths = [6, 2, 4]
    for reverse in (False, True):
        clean = run(R.rnn_sequence, "lstm", arrays, seeds, np.float64, lengths=lengths,
                    reverse=reverse)
        noisy_arrays, noisy_seeds = dict(arrays), dict(seeds)
        noisy_arrays["x"] = arrays["x"].copy()
        noisy_seeds["dout"] = seeds["dout"].copy()
        for b, n in enumerate(lengths):
            noisy_arrays["x"][n:, b] = 1e3
            noisy_seeds["dout"][n:, b] = 1e3   # no gradient flows from padded outputs
        noisy = run(R.rnn_sequence, "lstm", noisy_arrays, noisy_seeds, np.float64,
                    lengths=lengths, reverse=reverse)
        for a, b in zip(clean[:3], noisy[:3]):
            np.testing.assert_array_equal(a, b)
        for name in clean[3]:
            g_clean, g_noisy = clean[3][name], noisy[3][name]
            if name == "x":
                for b, n in enumerate(lengths):
                    np.testing.assert_array_equal(g_clean[:n, b], g_noisy[:n, b])
                    assert not g_noisy[n:, b].any()
            else:
                np.testing.assert_allclose(g_clean, g_noisy, rtol=1e-12, atol=1e-14)
        for b, n in enumerate(lengths):
            assert not clean[0][n:, b].any()


GRADCHECK_CASES = [
    ("lstm", dict(peephole=True), dict(lengths=[3, 1], reverse=True)),
    ("lstm", {}, {}),
    ("gru", {}, dict(lengths=[2, 3])),
    ("rnn_tanh", {}, dict(leak=0.3, reverse=True)),
    ("rnn_relu", {}, dict(lengths=[3, 2])),
]


@pytest.mark.parametrize("mode,problem,options", GRADCHECK_CASES)
def test_sequence_gradcheck(mode, problem, options):
    arrays, _ = random_problem(mode, 3, 2, 2, 2, seed=7, **problem)
    names = [k for k in NAMES if arrays.get(k) is not None]
    tensors = [rb.Tensor(arrays[k], requires_grad=True) for k in names]

    def fn(*ts):
        kw = dict(zip(names, ts))
        out, h_n, c_n = R.rnn_sequence(mode, kw["x"], kw["h0"], kw["w_ih"], kw["w_hh"],
                                       kw.get("b_ih"), kw.get("b_hh"), c0=kw.get("c0"),
                                       weight_ch=kw.get("w_ch"), **options)
        parts = [out.reshape(-1), h_n.reshape(-1)] + ([] if c_n is None else [c_n.reshape(-1)])
        return rb.functional.cat(parts)

    assert gradcheck(fn, tensors)


def _stack_weights(rng, mode, num_layers, directions, input_size, hidden):
    g = R.GATES[mode] * hidden
    weights = []
    for layer in range(num_layers):
        width = input_size if layer == 0 else directions * hidden
        for _ in range(directions):
            weights.append(tuple(rb.Tensor(rng.uniform(-0.5, 0.5, s), requires_grad=True)
                                 for s in ((g, width), (g, hidden), (g,), (g,))) + (None,))
    return weights


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_two_layer_bidirectional_gradcheck(mode):
    rng = np.random.default_rng(1)
    weights = _stack_weights(rng, mode, 2, 2, 2, 2)
    x = rb.Tensor(rng.uniform(-1, 1, (3, 2, 2)), requires_grad=True)
    flat = [x] + [w for ws in weights for w in ws[:4]]

    def fn(x, *ws):
        grouped = [tuple(ws[4 * k:4 * k + 4]) + (None,) for k in range(4)]
        out, state = R.rnn(mode, x, None, grouped, num_layers=2, bidirectional=True,
                           lengths=[3, 2])
        h_n = state[0] if mode == "lstm" else state
        return rb.functional.cat([out.reshape(-1), h_n.reshape(-1)])

    assert gradcheck(fn, flat)


def test_two_layers_chain_the_numpy_reference():
    """rnn() with 2 bidirectional layers = the reference applied layer by layer."""
    rng = np.random.default_rng(2)
    mode, hidden, lengths = "gru", 3, [4, 1, 3]
    weights = _stack_weights(rng, mode, 2, 2, 5, hidden)
    x = rng.uniform(-1, 1, (4, 3, 5))
    h0 = rng.uniform(-1, 1, (4, 3, hidden))
    out, h_n = R.rnn(mode, rb.Tensor(x), rb.Tensor(h0), weights, num_layers=2,
                     bidirectional=True, lengths=lengths)
    layer_input, finals = x, []
    for layer in range(2):
        outs = []
        for direction in range(2):
            k = 2 * layer + direction
            w = [t.data for t in weights[k][:4]]
            o, h, _, _ = reference_sequence(mode, layer_input, h0[k], None, *w, lengths=lengths,
                                            reverse=bool(direction))
            outs.append(o)
            finals.append(h)
        layer_input = np.concatenate(outs, axis=-1)
    np.testing.assert_allclose(out.data, layer_input, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, np.stack(finals), rtol=1e-12, atol=1e-12)


def test_cells_are_one_step():
    arrays, _ = random_problem("lstm", 1, 3, 4, 5, seed=4)
    ref_out, ref_h, ref_c, _ = reference_sequence("lstm", **arrays)
    h, c = rb.functional.lstm_cell(rb.Tensor(arrays["x"][0]),
                                   (rb.Tensor(arrays["h0"]), rb.Tensor(arrays["c0"])),
                                   *(rb.Tensor(arrays[k]) for k in ("w_ih", "w_hh", "b_ih",
                                                                    "b_hh")))
    np.testing.assert_allclose(h.data, ref_h, rtol=1e-12)
    np.testing.assert_allclose(c.data, ref_c, rtol=1e-12)
    arrays, _ = random_problem("gru", 1, 1, 4, 5, seed=5)
    _, ref_h, _, _ = reference_sequence("gru", **arrays)
    h = rb.functional.gru_cell(rb.Tensor(arrays["x"][0, 0]), rb.Tensor(arrays["h0"][0]),
                               *(rb.Tensor(arrays[k]) for k in ("w_ih", "w_hh", "b_ih", "b_hh")))
    assert h.shape == (5,)
    np.testing.assert_allclose(h.data, ref_h[0], rtol=1e-12)


def _sequence_args(mode="lstm", T=4, B=2, I=3, H=5):
    arrays, _ = random_problem(mode, T, B, I, H)
    return {k: None if v is None else rb.Tensor(v) for k, v in arrays.items()}


@pytest.mark.parametrize("change,kind,message", [
    (dict(lengths=[4, 5]), ValueError, "lengths"),
    (dict(lengths=[0, 3]), ValueError, "lengths"),
    (dict(lengths=[1, 2, 3]), ValueError, "lengths"),
    (dict(lengths=[1.0, 2.0]), TypeError, "lengths"),
    (dict(h0=rb.Tensor(np.zeros((3, 5)))), ValueError, "h0"),
    (dict(c0=rb.Tensor(np.zeros((2, 4)))), ValueError, "c0"),
    (dict(x=rb.Tensor(np.zeros((4, 2, 7)))), ValueError, "input"),
    (dict(x=rb.Tensor(np.zeros((4, 2, 3), np.float32))), TypeError, "dtype"),
    (dict(leak=1.0), ValueError, "leak"),
])
def test_bad_input(change, kind, message):
    a = _sequence_args()
    options = {k: change.pop(k) for k in ("lengths", "leak") if k in change}
    a.update(change)
    with pytest.raises(kind, match=message):
        R.rnn_sequence("lstm", a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"],
                       c0=a["c0"], **options)


def test_bad_mode():
    a = _sequence_args()
    with pytest.raises(ValueError, match="mode"):
        R.rnn_sequence("lstm2", a["x"], a["h0"], a["w_ih"], a["w_hh"])


def test_no_grad_forward_equals_recorded_forward():
    arrays, _ = random_problem("lstm", 5, 3, 4, 6, seed=2, peephole=True)
    t = {k: rb.Tensor(v, requires_grad=True) for k, v in arrays.items() if v is not None}
    args = (t["x"], t["h0"], t["w_ih"], t["w_hh"], t["b_ih"], t["b_hh"])
    recorded = R.rnn_sequence("lstm", *args, c0=t["c0"], weight_ch=t["w_ch"], lengths=[5, 1, 3])
    with rb.no_grad():
        plain = R.rnn_sequence("lstm", *args, c0=t["c0"], weight_ch=t["w_ch"], lengths=[5, 1, 3])
    assert plain[0].creator is None and recorded[0].creator is not None
    for a, b in zip(recorded, plain):
        np.testing.assert_array_equal(a.data, b.data)
