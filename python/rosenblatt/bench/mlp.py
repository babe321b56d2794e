"""Benchmark of a whole training step and of the autograd overhead per op.

The step: an MLP 784-512-256-10 (ReLU) on a batch of 128, cross-entropy,
backward and one Adam update, in rosenblatt and in PyTorch (CPU, the same
thread count), from the same initial weights and the same batch. NumPy has no
autograd, so the baseline column is PyTorch.

The overhead: ``(a * b + a).sum().backward()`` on one-element tensors, where
the arithmetic is negligible and the time is the graph's bookkeeping, against
the same expression as raw NumPy arithmetic (the forward only). Divide the
difference by the 4 ops (mul, add, sum and their backward) for the overhead
per op.

Run: ``rosenblatt bench --only mlp``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.bench.common import Case, torch_or_none

SIZES = (784, 512, 256, 10)
BATCH = 128


def _weights(seed: int = 0):
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return layers, x, y


def _rosenblatt_step():
    import rosenblatt as rb
    from rosenblatt import functional as F
    from rosenblatt.models import MLPClassifier

    layers, x, y = _weights()
    model = MLPClassifier(SIZES[0], SIZES[1:-1], SIZES[-1])
    linears = [m for m in model.layers if isinstance(m, rb.nn.Linear)]
    for linear, (w, b) in zip(linears, layers):
        linear.weight.data[...] = w
        linear.bias.data[...] = b
    optimizer = rb.optim.Adam(model.parameters(), lr=1e-3)
    xt = rb.Tensor(x)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        optimizer.step()

    return step


def _torch_step(torch):
    layers, x, y = _weights()
    modules = []
    for i, (w, b) in enumerate(layers):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if i < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        optimizer.step()

    return step


def _overhead_case(torch) -> Case:
    import rosenblatt as rb

    a = rb.tensor([1.5], requires_grad=True)
    b = rb.tensor([2.0], requires_grad=True)
    an, bn = np.array([1.5], np.float32), np.array([2.0], np.float32)

    def ours():
        a.grad = b.grad = None
        (a * b + a).sum().backward()

    candidates = {"rosenblatt": ours, "numpy": lambda: (an * bn + an).sum()}
    if torch is not None:
        at = torch.tensor([1.5], requires_grad=True)
        bt = torch.tensor([2.0], requires_grad=True)

        def theirs():
            at.grad = bt.grad = None
            (at * bt + at).sum().backward()

        candidates["torch"] = theirs
    return Case("autograd overhead: (a*b+a).sum().backward(), 1 element", candidates)


def cases(quick: bool = False) -> list[Case]:
    torch = torch_or_none()
    step = {"rosenblatt": _rosenblatt_step()}
    if torch is not None:
        step["torch"] = _torch_step(torch)
    # Forward and weight gradients: 2 * batch * in * out each, per layer; the
    # input gradient too, except for the first layer (the batch needs none).
    products = [a * b for a, b in zip(SIZES[:-1], SIZES[1:])]
    flops = 2 * BATCH * (3 * sum(products) - products[0])
    return [Case(f"MLP {'-'.join(map(str, SIZES))} train step, batch {BATCH}, Adam", step,
                 flops=flops, baseline="torch"),
            _overhead_case(torch)]
