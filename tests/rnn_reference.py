"""A straightforward float64 NumPy time loop and backpropagation through time for
one recurrent layer in one direction: the reference of the recurrent kernel,
functional and layer tests.

``reference_sequence`` takes the arrays of ``rnn_sequence`` (time-major x
(T, B, I), h0/c0 (B, H), PyTorch's weight layouts) and the gradients reaching
the outputs, and returns the forward results and every gradient, each step
written out gate by gate (see the equations in rosenblatt.functional.recurrent).
"""

from __future__ import annotations

import numpy as np

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def random_problem(mode, seq_len, batch, input_size, hidden, *, dtype=np.float64, seed=0,
                   bias=True, peephole=False, scale=0.5):
    """Arrays of a random one-layer problem (weights, states, input, output gradients)."""
    rng = np.random.default_rng(seed)
    g = GATES[mode] * hidden

    def draw(*shape):
        return (rng.uniform(-scale, scale, shape)).astype(dtype)

    arrays = dict(x=draw(seq_len, batch, input_size), h0=draw(batch, hidden),
                  c0=draw(batch, hidden) if mode == "lstm" else None,
                  w_ih=draw(g, input_size), w_hh=draw(g, hidden),
                  b_ih=draw(g) if bias else None, b_hh=draw(g) if bias else None,
                  w_ch=draw(3 * hidden) if peephole else None)
    seeds = dict(dout=draw(seq_len, batch, hidden), dhn=draw(batch, hidden),
                 dcn=draw(batch, hidden) if mode == "lstm" else None)
    return arrays, seeds


def reference_sequence(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ch=None, lengths=None,
                       reverse=False, leak=0.0, dout=None, dhn=None, dcn=None):
    """(out, h_n, c_n, grads) in float64; grads maps each input name to its gradient."""
    f64 = lambda a: None if a is None else np.asarray(a, np.float64)  # noqa: E731
    x, h0, c0, w_ih, w_hh = map(f64, (x, h0, c0, w_ih, w_hh))
    b_ih, b_hh, w_ch = map(f64, (b_ih, b_hh, w_ch))
    T, B, _ = x.shape
    H = w_hh.shape[1]
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    lengths = np.full(B, T) if lengths is None else np.asarray(lengths)
    order = list(range(T - 1, -1, -1)) if reverse else list(range(T))
    act = np.tanh if mode == "rnn_tanh" else (lambda v: np.maximum(v, 0))
    out = np.zeros((T, B, H))
    h, c = h0.copy(), None if c0 is None else c0.copy()
    cache = {}
    for t in order:
        m = (t < lengths).astype(np.float64)[:, None]
        gi = x[t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        if mode == "lstm":
            pre = gi + gh
            pi, pf, pg, po = (pre[:, k * H:(k + 1) * H].copy() for k in range(4))
            if w_ch is not None:
                pi += w_ch[:H] * c
                pf += w_ch[H:2 * H] * c
            i, f, g = _sigmoid(pi), _sigmoid(pf), np.tanh(pg)
            c_new = f * c + i * g
            if w_ch is not None:
                po += w_ch[2 * H:] * c_new
            o = _sigmoid(po)
            h_new = o * np.tanh(c_new)
            cache[t] = (m, h, c, i, f, g, o, c_new)
        elif mode == "gru":
            r = _sigmoid(gi[:, :H] + gh[:, :H])
            z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h_new = (1 - z) * n + z * h
            c_new = None
            cache[t] = (m, h, r, z, n, gh[:, 2 * H:])
        else:
            pre = gi + gh
            a = act(pre)
            h_new = leak * h + (1 - leak) * a
            c_new = None
            cache[t] = (m, h, pre)
        out[t] = m * h_new
        h = m * h_new + (1 - m) * h
        if c is not None:
            c = m * c_new + (1 - m) * c
    h_n, c_n = h, c

    dout = np.zeros_like(out) if dout is None else f64(dout)
    dh = np.zeros((B, H)) if dhn is None else f64(dhn).copy()
    dc = None if c0 is None else (np.zeros((B, H)) if dcn is None else f64(dcn).copy())
    grads = dict(x=np.zeros_like(x), w_ih=np.zeros_like(w_ih), w_hh=np.zeros_like(w_hh),
                 b_ih=np.zeros(w_ih.shape[0]), b_hh=np.zeros(w_hh.shape[0]))
    if w_ch is not None:
        grads["w_ch"] = np.zeros_like(w_ch)
    for t in reversed(order):
        m = cache[t][0]
        d_new = m * (dh + dout[t])        # gradient reaching this step's new state
        dh_pass = (1 - m) * dh            # padding: the state passed through unchanged
        if mode == "lstm":
            _, h, c, i, f, g, o, c_new = cache[t]
            dc_new = m * dc
            dc_pass = (1 - m) * dc
            tc = np.tanh(c_new)
            do = d_new * tc
            dc_new = dc_new + d_new * o * (1 - tc * tc)
            dpo = do * o * (1 - o)
            if w_ch is not None:
                dc_new = dc_new + dpo * w_ch[2 * H:]
                grads["w_ch"][2 * H:] += (dpo * c_new).sum(0)
            dpi = dc_new * g * i * (1 - i)
            dpf = dc_new * c * f * (1 - f)
            dpg = dc_new * i * (1 - g * g)
            dc_prev = dc_new * f
            if w_ch is not None:
                dc_prev = dc_prev + dpi * w_ch[:H] + dpf * w_ch[H:2 * H]
                grads["w_ch"][:H] += (dpi * c).sum(0)
                grads["w_ch"][H:2 * H] += (dpf * c).sum(0)
            dgi = dgh = np.concatenate([dpi, dpf, dpg, dpo], axis=1)
            dh_prev = np.zeros((B, H))
            dc = dc_prev + dc_pass
        elif mode == "gru":
            _, h, r, z, n, hn_part = cache[t]
            dn = d_new * (1 - z)
            dz = d_new * (h - n)
            dh_prev = d_new * z
            dpn = dn * (1 - n * n)
            dpr = dpn * hn_part * r * (1 - r)
            dpz = dz * z * (1 - z)
            dgi = np.concatenate([dpr, dpz, dpn], axis=1)
            dgh = np.concatenate([dpr, dpz, dpn * r], axis=1)
        else:
            _, h, pre = cache[t]
            deriv = 1 - np.tanh(pre) ** 2 if mode == "rnn_tanh" else (pre > 0).astype(np.float64)
            dgi = dgh = d_new * (1 - leak) * deriv
            dh_prev = leak * d_new
        grads["x"][t] = dgi @ w_ih
        grads["w_ih"] += dgi.T @ x[t]
        grads["b_ih"] += dgi.sum(0)
        grads["w_hh"] += dgh.T @ h
        grads["b_hh"] += dgh.sum(0)
        dh = dh_prev + dgh @ w_hh + dh_pass
    grads["h0"] = dh
    if c0 is not None:
        grads["c0"] = dc
    return out, h_n, c_n, grads
