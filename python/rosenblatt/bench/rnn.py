"""Benchmark of the fused recurrent layers: rb.nn.LSTM / GRU against torch.nn.LSTM / GRU.

The issue's shape: T=50 steps, batch 32, input 128, hidden 256, one layer,
float32, from the same weights and input. "forward" runs without a graph
(``no_grad`` in both libraries); "forward+backward" records the graph and
backpropagates a fixed output gradient to the weights (the input needs no
gradient, as for the first layer of a model). NumPy has no recurrent layer,
so the baseline column is PyTorch.

FLOPs counted: the forward is 2 T B G H (I + H) (G = 4 LSTM, 3 GRU gates),
the backward twice that minus the input gradient: 2 T B G H (I + 2 H).

Run: ``rosenblatt bench --only rnn``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.bench.common import Case, torch_or_none

STEPS, BATCH, INPUT, HIDDEN = 50, 32, 128, 256
GATES = {"LSTM": 4, "GRU": 3}


def _data(kind: str, steps: int):
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(HIDDEN)
    g = GATES[kind] * HIDDEN
    weights = {
        "weight_ih_l0": rng.uniform(-bound, bound, (g, INPUT)),
        "weight_hh_l0": rng.uniform(-bound, bound, (g, HIDDEN)),
        "bias_ih_l0": rng.uniform(-bound, bound, g),
        "bias_hh_l0": rng.uniform(-bound, bound, g),
    }
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    x = rng.standard_normal((steps, BATCH, INPUT)).astype(np.float32)
    grad = rng.standard_normal((steps, BATCH, HIDDEN)).astype(np.float32)
    return weights, x, grad


def _ours(kind: str, steps: int):
    import rosenblatt as rb

    weights, x, grad = _data(kind, steps)
    layer = getattr(rb.nn, kind)(INPUT, HIDDEN)
    layer.load_state_dict(weights, strict=True)
    xt = rb.Tensor(x)

    def forward():
        with rb.no_grad():
            layer(xt)

    def forward_backward():
        for p in layer.parameters():
            p.grad = None
        out, _ = layer(xt)
        out.backward(grad)

    return forward, forward_backward


def _theirs(torch, kind: str, steps: int):
    weights, x, grad = _data(kind, steps)
    layer = getattr(torch.nn, kind)(INPUT, HIDDEN)
    layer.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    xt, gt = torch.from_numpy(x), torch.from_numpy(grad)

    def forward():
        with torch.no_grad():
            layer(xt)

    def forward_backward():
        layer.zero_grad(set_to_none=True)
        out, _ = layer(xt)
        out.backward(gt)

    return forward, forward_backward


def cases(quick: bool = False) -> list[Case]:
    torch = torch_or_none()
    steps = 10 if quick else STEPS
    result = []
    for kind, gates in GATES.items():
        ours = _ours(kind, steps)
        theirs = _theirs(torch, kind, steps) if torch is not None else None
        shape = f"T={steps} B={BATCH} in={INPUT} hidden={HIDDEN} fp32"
        forward_flops = 2 * steps * BATCH * gates * HIDDEN * (INPUT + HIDDEN)
        backward_flops = 2 * steps * BATCH * gates * HIDDEN * (INPUT + 2 * HIDDEN)
        for i, (what, flops) in enumerate((("forward", forward_flops),
                                           ("forward+backward", forward_flops + backward_flops))):
            candidates = {"rosenblatt": ours[i]}
            if theirs is not None:
                candidates["torch"] = theirs[i]
            result.append(Case(f"{kind} {what}, {shape}", candidates, flops=flops,
                               baseline="torch"))
    return result
