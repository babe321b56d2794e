"""rb.nn recurrent layers: equal torch's given the same weights (state_dict with
strict=True), packed-sequence lengths, cells, peephole and leaky variants,
dropout between layers, gradient clipping of an exploding RNN, bad input."""

import numpy as np
import pytest
from rnn_reference import reference_sequence

import rosenblatt as rb

torch = pytest.importorskip("torch")

PAIRS = {
    "lstm": (rb.nn.LSTM, torch.nn.LSTM, {}),
    "gru": (rb.nn.GRU, torch.nn.GRU, {}),
    "rnn_tanh": (rb.nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (rb.nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def twins(mode, dtype, **kw):
    ours_cls, torch_cls, extra = PAIRS[mode]
    torch.manual_seed(0)
    theirs = torch_cls(**kw, **extra, dtype=TORCH_DTYPE[dtype])
    ours = ours_cls(**kw, **extra, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         strict=True)
    return ours, theirs


def state_list(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("mode", list(PAIRS))
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_lengths", [
    (1, False, False, False),
    (2, True, True, True),
    (2, False, False, True),
    (1, True, False, False),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_torch(mode, num_layers, bidirectional, batch_first, with_lengths, dtype):
    ours, theirs = twins(mode, dtype, input_size=5, hidden_size=6, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=batch_first)
    T, B, D = 7, 4, 2 if bidirectional else 1
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, 5) if batch_first else (T, B, 5)).astype(dtype)
    h0 = rng.standard_normal((num_layers * D, B, 6)).astype(dtype)
    c0 = rng.standard_normal((num_layers * D, B, 6)).astype(dtype)
    lengths = [7, 3, 5, 1] if with_lengths else None

    xr = rb.Tensor(x, requires_grad=True)
    hx_r = [rb.Tensor(h0, requires_grad=True)] + ([rb.Tensor(c0, requires_grad=True)]
                                                    if mode == "lstm" else [])
    out, state = ours(xr, tuple(hx_r) if mode == "lstm" else hx_r[0], lengths=lengths)

    xt = torch.tensor(x, requires_grad=True)
    hx_t = [torch.tensor(h0, requires_grad=True)] + ([torch.tensor(c0, requires_grad=True)]
                                                      if mode == "lstm" else [])
    packed = xt
    if with_lengths:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths),
                                                         batch_first=batch_first,
                                                         enforce_sorted=False)
    tout, tstate = theirs(packed, tuple(hx_t) if mode == "lstm" else hx_t[0])
    if with_lengths:
        tout, _ = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first=batch_first,
                                                         total_length=T)
    tol = TOL[dtype]
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol, err_msg="output")
    for a, b in zip(state_list(state), state_list(tstate)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), **tol, err_msg="final state")

    seed_rng = np.random.default_rng(2)
    g_out = seed_rng.standard_normal(out.shape).astype(dtype)
    g_states = [seed_rng.standard_normal(s.shape).astype(dtype) for s in state_list(state)]
    loss = (out * g_out).sum()
    for s, g in zip(state_list(state), g_states):
        loss = loss + (s * g).sum()
    loss.backward()
    tloss = (tout * torch.tensor(g_out)).sum()
    for s, g in zip(state_list(tstate), g_states):
        tloss = tloss + (s * torch.tensor(g)).sum()
    tloss.backward()
    np.testing.assert_allclose(xr.grad.data, xt.grad.numpy(), **tol, err_msg="d input")
    for a, b in zip(hx_r, hx_t):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol, err_msg="d hx")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_params[name].grad.numpy(), **tol,
                                   err_msg=f"d {name}")


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_unbatched_and_default_state(mode):
    ours, theirs = twins(mode, np.float64, input_size=3, hidden_size=4, num_layers=2)
    x = np.random.default_rng(0).standard_normal((5, 3))
    out, state = ours(rb.Tensor(x))
    tout, tstate = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(state_list(state), state_list(tstate)):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_parameter_names_and_shapes_are_torchs():
    for mode in PAIRS:
        ours, theirs = twins(mode, np.float32, input_size=3, hidden_size=4, num_layers=2,
                             bidirectional=True)
        ours_shapes = {k: v.shape for k, v in ours.state_dict().items()}
        assert ours_shapes == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        assert list(ours_shapes) == list(theirs.state_dict())


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_cells_equal_torch(mode):
    ours_cls = {"lstm": rb.nn.LSTMCell, "gru": rb.nn.GRUCell, "rnn_tanh": rb.nn.RNNCell}[mode]
    torch_cls = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell,
                 "rnn_tanh": torch.nn.RNNCell}[mode]
    torch.manual_seed(0)
    theirs = torch_cls(3, 5, dtype=torch.float64)
    ours = ours_cls(3, 5, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         strict=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3))
    h = rng.standard_normal((2, 5))
    c = rng.standard_normal((2, 5))
    xr = rb.Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    if mode == "lstm":
        (hr, cr), (ht, ct) = ours(xr, (rb.Tensor(h), rb.Tensor(c))), theirs(
            xt, (torch.tensor(h), torch.tensor(c)))
        out, tout = hr + 2 * cr, ht + 2 * ct
    else:
        out, tout = ours(xr, rb.Tensor(h)), theirs(xt, torch.tensor(h))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(xr.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight_hh.grad.data, theirs.weight_hh.grad.numpy(),
                               rtol=1e-10, atol=1e-12)
    # without a state the cell starts from zeros, also unbatched
    single = ours(rb.Tensor(x[0]))
    tsingle = theirs(torch.tensor(x[0]))
    for a, b in zip(state_list(single), state_list(tsingle)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_peephole_lstm_matches_reference():
    lstm = rb.nn.LSTM(3, 4, peephole=True, dtype=np.float64)
    assert isinstance(rb.nn.PeepholeLSTM(3, 4), rb.nn.LSTM)
    assert lstm.weight_ch_l0.shape == (12,)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    out, (h, c) = lstm(rb.Tensor(x), lengths=[5, 3])
    w = {k: getattr(lstm, f"{k}_l0").data for k in ("weight_ih", "weight_hh", "bias_ih",
                                                    "bias_hh", "weight_ch")}
    ref_out, ref_h, ref_c, _ = reference_sequence(
        "lstm", x, np.zeros((2, 4)), np.zeros((2, 4)), w["weight_ih"], w["weight_hh"],
        w["bias_ih"], w["bias_hh"], w["weight_ch"], lengths=[5, 3])
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h.data[0], ref_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.data[0], ref_c, rtol=1e-12, atol=1e-12)


def test_leaky_rnn_integrates():
    """LeakyRNN: h' = a h + (1 - a) tanh(...); leak 0 is the Elman RNN."""
    rb.manual_seed(0)
    leaky = rb.nn.LeakyRNN(3, 4, leak=0.8, dtype=np.float64)
    plain = rb.nn.RNN(3, 4, dtype=np.float64)
    plain.load_state_dict(leaky.state_dict(), strict=True)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    out, _ = leaky(rb.Tensor(x))
    w = [getattr(leaky, f"{k}_l0").data for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    ref, _, _, _ = reference_sequence("rnn_tanh", x, np.zeros((2, 4)), None, *w, leak=0.8)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    first, _ = plain(rb.Tensor(x[:1]))
    np.testing.assert_allclose(out.data[0], 0.2 * first.data[0], rtol=1e-12)
    with pytest.raises(ValueError, match="leak"):
        rb.nn.LeakyRNN(3, 4, leak=1.5)


def test_dropout_between_layers():
    rb.manual_seed(0)
    lstm = rb.nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = rb.Tensor(np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32))
    a, _ = lstm(x)
    b, _ = lstm(x)
    assert not np.allclose(a.data, b.data)      # a fresh mask each call in training
    lstm.eval()
    c, _ = lstm(x)
    d, _ = lstm(x)
    np.testing.assert_array_equal(c.data, d.data)
    single = rb.nn.LSTM(3, 8, num_layers=1, dropout=0.5)   # nothing between layers to drop
    e, _ = single(x)
    f, _ = single(x)
    np.testing.assert_array_equal(e.data, f.data)


def test_clipping_keeps_exploding_rnn_finite():
    """A relu RNN with a recurrent gain of 3 explodes over 40 steps; clipped SGD stays finite."""
    rb.manual_seed(0)
    rnn = rb.nn.RNN(2, 8, nonlinearity="relu", dtype=np.float64)
    with rb.no_grad():
        rnn.weight_hh_l0.data[...] = 3.0 * np.eye(8)
        rnn.bias_hh_l0.data[...] = 1.0
    x = rb.Tensor(np.abs(np.random.default_rng(0).standard_normal((40, 4, 2))))
    out, _ = rnn(x)
    loss = (out * out).mean()
    loss.backward()
    raw = np.sqrt(sum(float((p.grad.data ** 2).sum()) for p in rnn.parameters()))
    assert raw > 1e20                                  # it does explode
    optimizer = rb.optim.SGD(rnn.parameters(), lr=0.1)
    for _ in range(5):
        optimizer.zero_grad()
        out, _ = rnn(x)
        (out * out).mean().backward()
        total = rb.nn.utils.clip_grad_norm_(rnn.parameters(), max_norm=1.0)
        assert float(total.item()) > 1.0
        clipped = np.sqrt(sum(float((p.grad.data ** 2).sum()) for p in rnn.parameters()))
        assert clipped <= 1.0 + 1e-6
        before = [p.data.copy() for p in rnn.parameters()]
        optimizer.step()
        for p, old in zip(rnn.parameters(), before):
            assert np.isfinite(p.data).all()
            assert np.linalg.norm(p.data - old) <= 0.1 + 1e-9


@pytest.mark.parametrize("call,kind,message", [
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 4), np.float32))), ValueError, "input_size"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)), lengths=[6, 2]), ValueError,
     "lengths"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)), lengths=[0, 2]), ValueError,
     "lengths"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)), lengths=[5]), ValueError,
     "lengths"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)),
                 (rb.Tensor(np.zeros((1, 3, 4), np.float32)),
                  rb.Tensor(np.zeros((1, 2, 4), np.float32)))), ValueError, "h_0"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)),
                 (rb.Tensor(np.zeros((1, 2, 4), np.float32)),
                  rb.Tensor(np.zeros((2, 2, 4), np.float32)))), ValueError, "c_0"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float32)),
                 rb.Tensor(np.zeros((1, 2, 4), np.float32))), TypeError, "hx"),
    (lambda m: m(rb.Tensor(np.zeros((5, 2, 3), np.float64))), TypeError, "dtype"),
    (lambda m: m(rb.Tensor(np.zeros((2, 5, 2, 3), np.float32))), ValueError, "input"),
])
def test_bad_input(call, kind, message):
    with pytest.raises(kind, match=message):
        call(rb.nn.LSTM(3, 4))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="hidden_size"):
        rb.nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers"):
        rb.nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        rb.nn.LSTM(3, 4, dropout=2.0)
    with pytest.raises(ValueError, match="nonlinearity"):
        rb.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hx"):
        rb.nn.GRUCell(3, 4)(rb.Tensor(np.zeros((2, 3), np.float32)),
                            rb.Tensor(np.zeros((3, 4), np.float32)))
