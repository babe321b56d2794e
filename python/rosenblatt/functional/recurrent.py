"""Recurrent layers as differentiable ops: LSTM, GRU and Elman RNN sequences and cells.

Weights have PyTorch's layouts and gate orders (G gates of H units each)::

    weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,)
    LSTM  G = 4, gates i, f, g, o      GRU  G = 3, gates r, z, n      RNN  G = 1

and one step computes, with a_t = W_ih x_t + b_ih and b_t = W_hh h + b_hh::

    LSTM  i, f, g, o = sigma, sigma, tanh, sigma of (a_t + b_t)
          c' = f * c + i * g,   h' = o * tanh(c')
    peephole LSTM (diagonal peephole weights weight_ch = (p_i, p_f, p_o), 3*H values):
          i = sigma(a_i + b_i + p_i * c),  f = sigma(a_f + b_f + p_f * c),
          c' = f * c + i * g,  o = sigma(a_o + b_o + p_o * c'),  h' = o * tanh(c')
    GRU   r, z = sigma(a_r + b_r), sigma(a_z + b_z)
          n = tanh(a_n + r * b_n),   h' = (1 - z) * n + z * h
    RNN   h' = leak * h + (1 - leak) * act(a_t + b_t),  act = tanh or relu
          (leak = 0 is the Elman RNN; 0 < leak < 1 the leaky integrator)

:func:`rnn_sequence` runs one layer in one direction over a whole
time-major sequence (T, B, I) in one fused native call
(:func:`rosenblatt.kernels.rnn_forward`; its backward is one call of
:func:`rosenblatt.kernels.rnn_backward`). With per-sequence ``lengths`` the steps
t >= lengths[b] leave sequence b's state unchanged and output zeros there (as
torch's pad_packed_sequence), and the reverse direction starts at each
sequence's own last step, so padding never reaches the real steps, their
outputs or their gradients. The final state is the state after each
sequence's own last step.

:func:`rnn` stacks layers and directions as torch.nn.RNN/LSTM/GRU; the cells
(:func:`lstm_cell`, :func:`gru_cell`, :func:`rnn_cell`) are one-step sequences.

:func:`rnn_sequence_composed` is the same recurrence written as a Python
time loop over primitive ops (linear, sigmoid, tanh, products): the test
oracle of the fused native op.
"""

from __future__ import annotations

import numbers

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function, is_grad_enabled
from rosenblatt.functional.activation import relu, sigmoid, tanh
from rosenblatt.functional.dropout import dropout
from rosenblatt.functional.linalg import linear
from rosenblatt.functional.shape import cat, stack
from rosenblatt.tensor import Tensor

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


# -- argument checks ------------------------------------------------------------------------

def check_mode(mode: str) -> int:
    if mode not in GATES:
        raise ValueError(f"mode must be one of {tuple(GATES)}, got {mode!r}")
    return GATES[mode]


def check_lengths(lengths, seq_len: int, batch: int) -> np.ndarray | None:
    """``lengths`` as an int64 array of ``batch`` values in [1, seq_len] (None stays None)."""
    if lengths is None:
        return None
    array = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise TypeError(f"lengths must hold integers, got dtype {array.dtype}")
    if array.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},) (one length per sequence of the "
                         f"batch), got {array.shape}")
    if batch and (array.min() < 1 or array.max() > seq_len):
        raise ValueError(f"lengths must lie in [1, {seq_len}] (the sequence length), got values "
                         f"from {array.min()} to {array.max()}")
    return array.astype(np.int64)


def check_leak(leak) -> float:
    if isinstance(leak, bool) or not isinstance(leak, numbers.Real) or not 0.0 <= leak < 1.0:
        raise ValueError(f"leak must be a number in [0, 1), got {leak!r}")
    return float(leak)


def _check_weights(mode, input, weight_ih, weight_hh, bias_ih, bias_hh, weight_ch, where=""):
    gates = check_mode(mode)
    hidden = weight_hh.shape[-1] if weight_hh.ndim == 2 else -1
    if weight_hh.ndim != 2 or weight_hh.shape[0] != gates * hidden:
        raise ValueError(f"weight_hh{where} must have shape ({gates}*hidden, hidden) for {mode}, "
                         f"got {weight_hh.shape}")
    if weight_ih.shape != (gates * hidden, input.shape[-1]):
        if weight_ih.ndim == 2 and weight_ih.shape[0] == gates * hidden:
            raise ValueError(f"input has {input.shape[-1]} features (its last dimension), the "
                             f"layer expects input_size={weight_ih.shape[1]}")
        raise ValueError(f"weight_ih{where} must have shape ({gates * hidden}, "
                         f"{input.shape[-1]}), got {weight_ih.shape}")
    for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None and bias.shape != (gates * hidden,):
            raise ValueError(f"{name}{where} must have shape ({gates * hidden},), got {bias.shape}")
    if weight_ch is not None:
        if mode != "lstm":
            raise ValueError(f"peephole weights (weight_ch) are for the LSTM, not {mode}")
        if weight_ch.shape != (3 * hidden,):
            raise ValueError(f"weight_ch{where} must have shape ({3 * hidden},) (peepholes of "
                             f"gates i, f, o), got {weight_ch.shape}")
    dtypes = {t.dtype for t in (input, weight_ih, weight_hh, bias_ih, bias_hh, weight_ch)
              if t is not None}
    if len(dtypes) != 1:
        raise TypeError(f"input and weights must share one dtype, got {sorted(map(str, dtypes))}")
    if input.dtype not in (np.float32, np.float64):
        raise TypeError(f"recurrent layers need float32 or float64, got {input.dtype}")
    return hidden


def _check_state(name: str, state, shape: tuple, dtype) -> None:
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(state).__name__}")
    if state.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {state.shape}")
    if state.dtype != dtype:
        raise TypeError(f"{name} has dtype {state.dtype}, the input {dtype}")


# -- one step, composed from primitive ops ---------------------------------------------------

def _step(mode, projected_x, h, c, weight_hh, bias_hh, weight_ch, leak):
    """(h', c') after one step from the input projection a_t = W_ih x_t + b_ih."""
    hidden = h.shape[-1]
    recurrent = linear(h, weight_hh, bias_hh)
    if mode == "lstm":
        pre = projected_x + recurrent
        gi, gf, gg, go = (pre[:, k * hidden:(k + 1) * hidden] for k in range(4))
        if weight_ch is not None:
            gi = gi + weight_ch[:hidden] * c
            gf = gf + weight_ch[hidden:2 * hidden] * c
        c_new = sigmoid(gf) * c + sigmoid(gi) * tanh(gg)
        if weight_ch is not None:
            go = go + weight_ch[2 * hidden:] * c_new
        return sigmoid(go) * tanh(c_new), c_new
    if mode == "gru":
        ar, az, an = (projected_x[:, k * hidden:(k + 1) * hidden] for k in range(3))
        br, bz, bn = (recurrent[:, k * hidden:(k + 1) * hidden] for k in range(3))
        r, z = sigmoid(ar + br), sigmoid(az + bz)
        n = tanh(an + r * bn)
        return (1 - z) * n + z * h, None
    activated = (tanh if mode == "rnn_tanh" else relu)(projected_x + recurrent)
    return (activated if leak == 0.0 else leak * h + (1 - leak) * activated), None


def rnn_sequence_composed(mode, input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *,
                          c0=None, weight_ch=None, lengths=None, reverse=False, leak=0.0):
    """:func:`rnn_sequence` as a Python time loop over primitive ops (the test oracle)."""
    seq_len = input.shape[0]
    projected = linear(input, weight_ih, bias_ih)  # (T, B, G*H): all steps in one product
    lengths = check_lengths(lengths, seq_len, input.shape[1])
    h, c = h0, c0
    outputs = [None] * seq_len
    for t in (range(seq_len - 1, -1, -1) if reverse else range(seq_len)):
        h_new, c_new = _step(mode, projected[t], h, c, weight_hh, bias_hh, weight_ch, leak)
        if lengths is None:
            h, c, outputs[t] = h_new, c_new, h_new
            continue
        live = (t < lengths).astype(input.dtype)[:, None]   # 1 for real steps, 0 for padding
        outputs[t] = h_new * live
        h = h_new * live + h * (1 - live)
        if c is not None:
            c = c_new * live + c * (1 - live)
    return stack(outputs), h, c


# -- the fused native op -----------------------------------------------------------------------

class RNNSequence(Function):
    """One layer, one direction, whole sequence: rosenblatt.kernels.rnn_forward / rnn_backward.

    The output is one array (T + 1, B, H) (LSTM: (T + 2, B, H)): the outputs,
    then h_n (then c_n); the caller slices it.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ch, mode, lengths, reverse, leak):
        x = np.ascontiguousarray(x)
        training = is_grad_enabled() and any(ctx.needs_input_grad)  # a backward may follow
        result = kernels.rnn_forward(mode, x, h0, w_ih, w_hh, b_ih, b_hh, c0=c0, w_ch=w_ch,
                                     lengths=lengths, reverse=reverse, leak=leak,
                                     training=training)
        ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, w_ch, result.saved)
        ctx.options = dict(lengths=lengths, reverse=reverse, leak=leak)
        ctx.mode = mode
        return result.states

    @staticmethod
    def backward(ctx, g):
        x, w_ih, w_hh, b_ih, b_hh, w_ch, saved = ctx.saved_tensors
        steps = x.shape[0]
        lstm = ctx.mode == "lstm"
        grads = kernels.rnn_backward(ctx.mode, x, saved, w_ih, w_hh, b_ih, b_hh, dout=g[:steps],
                                     dh_n=g[steps], dc_n=g[steps + 1] if lstm else None,
                                     w_ch=w_ch, input_grad=ctx.needs_input_grad[0],
                                     **ctx.options)
        return (grads.x, grads.h0, grads.c0, grads.w_ih, grads.w_hh, grads.b_ih, grads.b_hh,
                grads.w_ch)


# -- public ops -------------------------------------------------------------------------------

def rnn_sequence(mode: str, input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,  # noqa: A002
                 bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, *,
                 c0: Tensor | None = None, weight_ch: Tensor | None = None, lengths=None,
                 reverse: bool = False, leak: float = 0.0):
    """One recurrent layer in one direction over a time-major sequence.

    ``mode`` is 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu'; ``input`` is
    (T, B, I), ``h0`` (and for the LSTM ``c0``) (B, H); weights as in the
    module docstring; ``weight_ch`` (3*H,) turns on the peephole LSTM;
    ``lengths`` (B integers in [1, T]) the length of each sequence;
    ``reverse`` runs from each sequence's last step back to step 0; ``leak``
    in [0, 1) makes the RNN a leaky integrator.

    Returns ``(output, h_n, c_n)``: output (T, B, H) (zeros past each
    length), the final states (B, H), c_n None except for the LSTM.
    """
    hidden = _check_weights(mode, input, weight_ih, weight_hh, bias_ih, bias_hh, weight_ch)
    if input.ndim != 3:
        raise ValueError(f"input must be 3-D (seq_len, batch, input_size), got shape {input.shape}")
    if input.shape[0] < 1:
        raise ValueError("input must have at least one time step")
    batch = input.shape[1]
    _check_state("h0", h0, (batch, hidden), input.dtype)
    if mode == "lstm":
        _check_state("c0", c0, (batch, hidden), input.dtype)
    elif c0 is not None:
        raise ValueError(f"c0 is only for the LSTM, not {mode}")
    leak = check_leak(leak)
    if leak and not mode.startswith("rnn"):
        raise ValueError(f"leak is for the RNN modes, not {mode}")
    lengths = check_lengths(lengths, input.shape[0], batch)
    states = RNNSequence.apply(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_ch,
                               mode, lengths, bool(reverse), leak)
    steps = input.shape[0]
    return (states[:steps], states[steps],
            states[steps + 1] if mode == "lstm" else None)


def rnn(mode: str, input: Tensor, hx, weights, *, num_layers: int = 1,  # noqa: A002
        bidirectional: bool = False, dropout_p: float = 0.0, training: bool = False,
        batch_first: bool = False, lengths=None, leak: float = 0.0):
    """A stack of recurrent layers, as torch.nn.RNN / LSTM / GRU.

    ``input`` is (T, B, I), or (B, T, I) with ``batch_first``, or unbatched
    (T, I). ``weights`` lists, for each layer and then each direction, the
    tuple (weight_ih, weight_hh, bias_ih, bias_hh, weight_ch) (biases and
    weight_ch may be None). ``hx`` is None (zeros) or h_0 of shape
    (num_layers * D, B, H), for the LSTM the pair (h_0, c_0); D = 2 when
    ``bidirectional``. Dropout with probability ``dropout_p`` is applied to
    the outputs of every layer but the last when ``training``. ``lengths``
    (B integers in [1, T]) gives each sequence's length: padded steps change
    nothing and output zeros.

    Returns ``(output, h_n)``, for the LSTM ``(output, (h_n, c_n))``: output
    (T, B, D*H) (batch first if the input is), h_n and c_n (num_layers*D, B, H)
    holding each sequence's state at its own last step (step 0 for the
    reverse direction).
    """
    check_mode(mode)
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a Tensor, got {type(input).__name__}")
    directions = 2 if bidirectional else 1
    if len(weights) != num_layers * directions:
        raise ValueError(f"weights must hold {num_layers * directions} (layer, direction) tuples, "
                         f"got {len(weights)}")
    if input.ndim not in (2, 3):
        raise ValueError(f"input must be 3-D ({'batch, seq_len' if batch_first else 'seq_len, batch'}"
                         f", input_size) or 2-D (seq_len, input_size), got shape {input.shape}")
    unbatched = input.ndim == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if batch_first else input)
    seq_len, batch = x.shape[0], x.shape[1]
    if seq_len < 1:
        raise ValueError("input must have at least one time step")
    first_ih = weights[0][0]
    if x.shape[-1] != first_ih.shape[1]:
        raise ValueError(f"input has {x.shape[-1]} features (its last dimension), the layer "
                         f"expects input_size={first_ih.shape[1]}")
    hidden = weights[0][1].shape[-1]
    if unbatched and lengths is not None:
        lengths = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths).reshape(-1)
    lengths = check_lengths(lengths, seq_len, batch)
    h0, c0 = _initial_states(mode, hx, num_layers * directions, batch, hidden, x.dtype, unbatched)
    finals_h, finals_c = [], []
    layer_input = x
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            w_ih, w_hh, b_ih, b_hh, w_ch = weights[k]
            where = f"_l{layer}" + ("_reverse" if direction else "")
            _check_weights(mode, layer_input, w_ih, w_hh, b_ih, b_hh, w_ch, where)
            out, h_n, c_n = rnn_sequence(mode, layer_input, h0[k], w_ih, w_hh, b_ih, b_hh,
                                         c0=None if c0 is None else c0[k], weight_ch=w_ch,
                                         lengths=lengths, reverse=bool(direction), leak=leak)
            outputs.append(out)
            finals_h.append(h_n)
            finals_c.append(c_n)
        layer_input = outputs[0] if directions == 1 else cat(outputs, dim=-1)
        if layer < num_layers - 1 and dropout_p > 0:
            layer_input = dropout(layer_input, dropout_p, training)
    output = layer_input
    h_n = stack(finals_h)
    c_n = stack(finals_c) if mode == "lstm" else None
    if unbatched:
        output, h_n = output.squeeze(1), h_n.squeeze(1)
        c_n = None if c_n is None else c_n.squeeze(1)
    elif batch_first:
        output = output.transpose(0, 1)
    return (output, (h_n, c_n)) if mode == "lstm" else (output, h_n)


def _initial_states(mode, hx, count, batch, hidden, dtype, unbatched):
    """(h_0, c_0), each indexable by (layer, direction) into (B, H) states; c_0 None unless LSTM.

    Without ``hx`` they are lists of zero Tensors (no op to record), else the
    (count, B, H) Tensors given.
    """
    shape = (count, hidden) if unbatched else (count, batch, hidden)
    if hx is None:
        def zeros():
            return [Tensor(np.zeros((batch, hidden), dtype)) for _ in range(count)]
        return zeros(), (zeros() if mode == "lstm" else None)
    if mode == "lstm":
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError("hx of an LSTM must be the pair (h_0, c_0)")
        pairs = (("h_0", hx[0]), ("c_0", hx[1]))
    else:
        pairs = (("hx", hx),)
    states = []
    for name, state in pairs:
        _check_state(name, state, shape, dtype)
        states.append(state.unsqueeze(1) if unbatched else state)
    return states[0], (states[1] if mode == "lstm" else None)


def _cell(mode, input, hx, c, weight_ih, weight_hh, bias_ih, bias_hh, leak=0.0):
    """One step of a batch (B, I) or one unbatched input (I,): a sequence of length 1."""
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (1, 2):
        raise ValueError(f"input must be 2-D (batch, input_size) or 1-D (input_size,), got shape "
                         f"{input.shape}")
    hidden = _check_weights(mode, input, weight_ih, weight_hh, bias_ih, bias_hh, None)
    unbatched = input.ndim == 1
    x = input.reshape(1, 1, -1) if unbatched else input.unsqueeze(0)
    shape = (hidden,) if unbatched else (input.shape[0], hidden)
    states = []
    for name, state in (("hx", hx), ("cx", c)) if mode == "lstm" else (("hx", hx),):
        if state is None:
            state = Tensor(np.zeros(shape, input.dtype))
        _check_state(name, state, shape, input.dtype)
        states.append(state.reshape(1, -1) if unbatched else state)
    _, h_new, c_new = rnn_sequence(mode, x, states[0], weight_ih, weight_hh, bias_ih, bias_hh,
                                   c0=states[1] if mode == "lstm" else None, leak=leak)
    if unbatched:
        h_new = h_new.reshape(-1)
        c_new = None if c_new is None else c_new.reshape(-1)
    return h_new, c_new


def lstm_cell(input: Tensor, hx=None, weight_ih=None, weight_hh=None, bias_ih=None,  # noqa: A002
              bias_hh=None):
    """One LSTM step: ``hx`` = (h, c) or None (zeros); returns (h', c')."""
    h, c = (None, None) if hx is None else hx
    return _cell("lstm", input, h, c, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_cell(input: Tensor, hx=None, weight_ih=None, weight_hh=None, bias_ih=None,  # noqa: A002
             bias_hh=None) -> Tensor:
    """One GRU step; returns h'."""
    return _cell("gru", input, hx, None, weight_ih, weight_hh, bias_ih, bias_hh)[0]


def rnn_cell(input: Tensor, hx=None, weight_ih=None, weight_hh=None, bias_ih=None,  # noqa: A002
             bias_hh=None, nonlinearity: str = "tanh", leak: float = 0.0) -> Tensor:
    """One Elman (or, with ``leak`` > 0, leaky-integrator) RNN step; returns h'."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return _cell(f"rnn_{nonlinearity}", input, hx, None, weight_ih, weight_hh, bias_ih, bias_hh,
                 check_leak(leak))[0]
