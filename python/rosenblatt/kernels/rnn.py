"""Fused recurrent sequences: one LSTM, GRU or Elman/leaky RNN layer (one
direction) over a whole sequence per native call, and backpropagation
through time in one call.

The forward runs per step the input and the recurrent projections (two
GEMMs on weights packed once per call) and one fused gate pass; the
backward runs the gate passes and one GEMM per step in reverse, then the
input gradient and the weight gradients of all steps in one GEMM each. The
equations (PyTorch's gate orders and weight layouts) are in
:mod:`rosenblatt.functional.recurrent`; ``mode`` is 'lstm', 'gru',
'rnn_tanh' or 'rnn_relu'.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rosenblatt import _C


class RnnForward(NamedTuple):
    """What :func:`rnn_forward` returns.

    ``output`` (T, B, H), ``h_n`` (B, H) and ``c_n`` (B, H, LSTM only, else
    None) are views of one array ``states`` ((T + 1, B, H), or (T + 2, B, H)
    for the LSTM); ``saved`` holds what :func:`rnn_backward` needs.
    """

    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None
    saved: np.ndarray
    states: np.ndarray


class RnnGradients(NamedTuple):
    """What :func:`rnn_backward` returns (None for what the layer does not have)."""

    x: np.ndarray | None
    h0: np.ndarray
    c0: np.ndarray | None
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray | None
    b_hh: np.ndarray | None
    w_ch: np.ndarray | None


def _contiguous(a):
    return np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a


def _lengths(lengths):
    return None if lengths is None else np.asarray(lengths)


def rnn_forward(mode: str, x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None, *,
                c0: np.ndarray | None = None, w_ch: np.ndarray | None = None, lengths=None,
                reverse: bool = False, leak: float = 0.0, training: bool = True) -> RnnForward:
    """One recurrent layer over the time-major sequence ``x``.

    Parameters
    ----------
    mode : {'lstm', 'gru', 'rnn_tanh', 'rnn_relu'}
    x : numpy.ndarray
        (T, B, I), float32 or float64, T >= 1 (copied once if not C-contiguous).
    h0, c0 : numpy.ndarray
        (B, H) initial states; ``c0`` for the LSTM only (and required there).
    w_ih, w_hh, b_ih, b_hh : numpy.ndarray
        (G*H, I), (G*H, H), (G*H,), (G*H,) with G = 4, 3, 1, 1 (biases optional).
    w_ch : numpy.ndarray, optional
        (3*H,) diagonal peephole weights (p_i, p_f, p_o) of the LSTM.
    lengths : array of int, optional
        (B,), each in [1, T]: steps t >= lengths[b] hold sequence b's state and
        output zeros.
    reverse : bool
        Process each sequence from its last step back to step 0.
    leak : float
        In [0, 1), RNN modes only: h' = leak h + (1 - leak) act(...).
    training : bool
        Save what :func:`rnn_backward` needs. With False (inference) ``saved``
        is empty, (T, B, 0), which rnn_backward refuses, and the forward
        writes only the outputs and states.

    Returns
    -------
    RnnForward
        (output, h_n, c_n, saved, states); h_n, c_n are the states after each
        sequence's own last step.

    Raises
    ------
    TypeError, ValueError
        A wrong dtype, shape, length or option, naming the argument.
    """
    states, saved = _C.rnn_forward(mode, _contiguous(x), _contiguous(h0), _contiguous(c0),
                                   _contiguous(w_ih), _contiguous(w_hh), _contiguous(b_ih),
                                   _contiguous(b_hh), _contiguous(w_ch), _lengths(lengths),
                                   reverse, leak, training)
    steps = states.shape[0] - (2 if mode == "lstm" else 1)
    return RnnForward(states[:steps], states[steps],
                      states[steps + 1] if mode == "lstm" else None, saved, states)


def rnn_backward(mode: str, x: np.ndarray, saved: np.ndarray, w_ih: np.ndarray,
                 w_hh: np.ndarray, b_ih: np.ndarray | None = None,
                 b_hh: np.ndarray | None = None, *, dout: np.ndarray | None = None,
                 dh_n: np.ndarray | None = None, dc_n: np.ndarray | None = None,
                 w_ch: np.ndarray | None = None, lengths=None, reverse: bool = False,
                 leak: float = 0.0, input_grad: bool = True) -> RnnGradients:
    """Backpropagation through time of :func:`rnn_forward`.

    ``x``, the weights and options are those of the forward call, ``saved``
    its ``saved``; ``dout`` (T, B, H), ``dh_n`` and ``dc_n`` (B, H) are the
    gradients reaching the outputs and final states (None: zero). Returns
    the gradients of every input (:class:`RnnGradients`): the weight
    gradients summed over all steps and sequences, nothing from padded steps.
    With ``input_grad=False`` the gradient of ``x`` is skipped (None), which
    saves one GEMM when the input needs none.
    """
    return RnnGradients(*_C.rnn_backward(
        mode, _contiguous(x), saved, _contiguous(dout), _contiguous(dh_n), _contiguous(dc_n),
        _contiguous(w_ih), _contiguous(w_hh), _contiguous(b_ih), _contiguous(b_hh),
        _contiguous(w_ch), _lengths(lengths), reverse, leak, input_grad))
