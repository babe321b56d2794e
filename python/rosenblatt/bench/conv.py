"""Benchmark of the convolution and pooling kernels (issue 4's shapes), float32.

- conv2d forward + backward (gradients of input, weight and bias) through
  autograd, N=32: 3->64 at 32x32 and 64->128 at 16x16, 3x3, stride 1, pad 1;
  against PyTorch and the NumPy im2col + matmul composite
  (:mod:`rosenblatt.kernels.conv_reference`, forward and both gradients).
- conv2d forward alone on the same shapes (the kernel API), against the NumPy
  composite (target >= 5x) and PyTorch.
- max_pool2d 2x2 / 2 forward + backward on (32, 64, 32, 32) through autograd,
  against PyTorch.

Run: ``rosenblatt bench --only conv``.
"""

from __future__ import annotations

import numpy as np

from rosenblatt.bench.common import Case, torch_or_none

# (name, N, C_in, C_out, H = W)
CONV_SHAPES = (("N=32, 3->64, 32x32", 32, 3, 64, 32), ("N=32, 64->128, 16x16", 32, 64, 128, 16))
POOL_SHAPE = (32, 64, 32, 32)


def _conv_arrays(n, c, o, size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, size, size)).astype(np.float32)
    w = (rng.standard_normal((o, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    g = rng.standard_normal((n, o, size, size)).astype(np.float32)
    return x, w, b, g


def _conv_train_case(label, n, c, o, size, torch) -> Case:
    import rosenblatt as rb
    from rosenblatt import functional as F
    from rosenblatt.kernels import conv_reference

    x, w, b, g = _conv_arrays(n, c, o, size)
    xt, wt, bt = (rb.Tensor(a, requires_grad=True) for a in (x, w, b))

    def ours():
        for t in (xt, wt, bt):
            t.grad = None
        F.conv2d(xt, wt, bt, padding=1).backward(g)

    def numpy():
        geometry = ((1, 1), (1, 1), (1, 1), 1)
        conv_reference.conv2d(x, w, b, *geometry, (size, size))
        conv_reference.conv2d_input_grad(g, w, (size, size), *geometry)
        conv_reference.conv2d_weight_grad(g, x, (3, 3), *geometry)
        g.sum(axis=(0, 2, 3))

    candidates = {"rosenblatt": ours, "numpy": numpy}
    if torch is not None:
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tg = torch.from_numpy(g)

        def theirs():
            for t in (tx, tw, tb):
                t.grad = None
            torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)

        candidates["torch"] = theirs
    flops = 3 * 2 * n * o * size * size * c * 9
    return Case(f"conv2d 3x3 p1 fwd+bwd, {label}", candidates, flops=flops, baseline="torch")


def _conv_forward_case(label, n, c, o, size, torch) -> Case:
    from rosenblatt import kernels
    from rosenblatt.kernels import conv_reference

    x, w, b, _ = _conv_arrays(n, c, o, size)
    candidates = {
        "rosenblatt": lambda: kernels.conv2d(x, w, b, padding=1),
        "numpy": lambda: conv_reference.conv2d(x, w, b, (1, 1), (1, 1), (1, 1), 1, (size, size)),
    }
    if torch is not None:
        tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))

        def theirs():
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, tb, padding=1)

        candidates["torch"] = theirs
    return Case(f"conv2d 3x3 p1 forward, {label}", candidates, flops=2 * n * o * size * size * c * 9)


def _max_pool_case(torch) -> Case:
    import rosenblatt as rb
    from rosenblatt import functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(POOL_SHAPE).astype(np.float32)
    g = rng.standard_normal(POOL_SHAPE[:2] + (POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2)).astype(
        np.float32)
    xt = rb.Tensor(x, requires_grad=True)

    def ours():
        xt.grad = None
        F.max_pool2d(xt, 2).backward(g)

    candidates = {"rosenblatt": ours}
    if torch is not None:
        tx, tg = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

        def theirs():
            tx.grad = None
            torch.nn.functional.max_pool2d(tx, 2).backward(tg)

        candidates["torch"] = theirs
    return Case(f"max_pool2d 2x2/2 fwd+bwd, {POOL_SHAPE}", candidates, baseline="torch")


def cases(quick: bool = False) -> list[Case]:
    torch = torch_or_none()
    shapes = CONV_SHAPES[:1] if quick else CONV_SHAPES
    return ([_conv_train_case(*shape, torch) for shape in shapes]
            + [_conv_forward_case(*shape, torch) for shape in shapes]
            + [_max_pool_case(torch)])
