"""Recurrent layers with PyTorch's names, arguments and parameter layouts.

RNN, LSTM and GRU stack ``num_layers`` layers, optionally bidirectional, with
dropout between layers; each (layer, direction) runs the whole sequence in
one fused op (:func:`rosenblatt.functional.recurrent.rnn_sequence`). The
parameters are named and shaped as torch's (``weight_ih_l0`` (G*H, I),
``weight_hh_l0`` (G*H, H), ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``,
gate order i, f, g, o for the LSTM and r, z, n for the GRU), so a torch
state_dict converted to arrays loads with ``strict=True`` and gives the same
outputs. Every weight starts as U(-1/sqrt(H), 1/sqrt(H)), as torch.

Beyond torch:

- ``forward(input, hx=None, lengths=None)``: ``lengths`` (B integers in
  [1, T], a list, array or integer Tensor) is each sequence's length in a
  zero-padded batch, the role torch gives pack_padded_sequence. Steps past a
  sequence's length change no state and output zeros (as pad_packed_sequence),
  the reverse direction starts at each sequence's own last step, and h_n
  (c_n) hold each sequence's state after its own last step.
- ``LSTM(..., peephole=True)``: the peephole LSTM of Gers & Schmidhuber
  (2000), whose gates also see the cell: i and f see c_{t-1}, o sees c_t,
  through diagonal weights ``weight_ch_l{k}`` (3*H values: p_i, p_f, p_o).
- :class:`LeakyRNN`: the leaky-integrator RNN h' = a h + (1 - a) f(W x + U h + b).
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt.functional import recurrent as R
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


def _check_sizes(owner: str, input_size, hidden_size) -> tuple[int, int]:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(input_size), int(hidden_size)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (``mode`` 'rnn_tanh', 'rnn_relu', 'lstm', 'gru')."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, peephole: bool = False, leak: float = 0.0,
                 device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        gates = R.check_mode(mode)
        self.input_size, self.hidden_size = _check_sizes(name, input_size, hidden_size)
        if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) \
                or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if peephole and mode != "lstm":
            raise ValueError(f"{name}: peephole connections are for the LSTM")
        self.mode, self.num_layers = mode, int(num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.peephole, self.leak = bool(peephole), R.check_leak(leak)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        directions = 2 if bidirectional else 1
        self._weight_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates * hidden_size, layer_input)),
                          ("weight_hh", (gates * hidden_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates * hidden_size,)),
                               ("bias_hh", (gates * hidden_size,))]
                if peephole:
                    shapes.append(("weight_ch", (3 * hidden_size,)))
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(np.empty(shape, dtype)))
                self._weight_names.append(
                    [base + suffix if base + suffix in self._parameters else None
                     for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch")])
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self) -> list:
        return [tuple(None if n is None else getattr(self, n) for n in names)
                for names in self._weight_names]

    def forward(self, input: Tensor, hx=None, lengths=None):  # noqa: A002
        """Run the stack over ``input``.

        ``input``: (T, B, input_size), or (B, T, input_size) with
        batch_first, or unbatched (T, input_size). ``hx``: None (zeros) or
        h_0 (num_layers * D, B, hidden_size) (for the LSTM the pair
        (h_0, c_0)), D = 2 if bidirectional. ``lengths``: None, or B integers
        in [1, T], the length of each zero-padded sequence (see the module
        docstring). Returns (output, h_n) (LSTM: (output, (h_n, c_n))) with
        output (T, B, D * hidden_size) (batch first if the input is).
        """
        return R.rnn(self.mode, input, hx, self._weights(), num_layers=self.num_layers,
                     bidirectional=self.bidirectional, dropout_p=self.dropout,
                     training=self.training, batch_first=self.batch_first, lengths=lengths,
                     leak=self.leak)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "rnn_relu":
            text += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False), ("peephole", False), ("leak", 0.0)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


def _rnn_mode(nonlinearity) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return f"rnn_{nonlinearity}"


class RNN(RNNBase):
    """Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__(_rnn_mode(nonlinearity), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LeakyRNN(RNNBase):
    """Leaky-integrator RNN: h' = leak * h + (1 - leak) * act(W_ih x + b_ih + W_hh h + b_hh).

    This is the Euler step (dt) of the continuous-time RNN
    tau dh/dt = -h + act(W x + U h + b) with leak = 1 - dt / tau, the unit of
    leaky-integrator echo-state networks (Jaeger et al., 2007) and of
    continuous-time RNN models in neuroscience (Song, Yang & Wang, 2016):
    ``leak`` in [0, 1) sets how slowly the state forgets (leak = 0 is the
    Elman RNN), which suits signals slower than the sampling rate. The name
    says what it is: an RNN whose units leak toward their input drive.
    Parameters are named and shaped as :class:`RNN`'s; ``leak`` is a fixed
    hyper-parameter, and the layer runs through the same fused kernel.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *, leak: float = 0.5,
                 device=None, dtype=None) -> None:
        super().__init__(_rnn_mode(nonlinearity), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, leak=leak, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM: i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x + b_ih + W_hh h + b_hh),
    c' = f c + i g, h' = o tanh(c'); ``peephole=True`` adds diagonal cell-to-gate weights."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 *, peephole: bool = False, device=None, dtype=None) -> None:
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, peephole=peephole, device=device, dtype=dtype)


class PeepholeLSTM(LSTM):
    """``LSTM(..., peephole=True)``: gates i, f see c_{t-1} and o sees c_t (Gers & Schmidhuber)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, peephole=True, device=device, dtype=dtype)


class GRU(RNNBase):
    """GRU: r, z = sigma(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer; parameters weight_ih, weight_hh, bias_ih, bias_hh as torch."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        gates = R.check_mode(mode)
        self.input_size, self.hidden_size = _check_sizes(type(self).__name__, input_size,
                                                         hidden_size)
        self.mode, self.bias = mode, bool(bias)
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        self.weight_ih = Parameter(np.empty((gates * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(np.empty((gates * hidden_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(gates * hidden_size, dtype))
            self.bias_hh = Parameter(np.empty(gates * hidden_size, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)
        if device is not None:
            self.to(device)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh); input (B, I) or (I,), hx (B, H) / (H,) or None."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(_rnn_mode(nonlinearity), input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return R.rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                          self.nonlinearity)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``hx`` = (h, c) or None (zeros); returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("lstm", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx=None):  # noqa: A002
        return R.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__("gru", input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return R.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
