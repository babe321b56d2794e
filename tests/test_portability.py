"""A build runs on any x86-64 CPU: no AVX2 or AVX-512 instruction may execute
outside the path chosen for the CPU.

QEMU's user-mode emulator runs this Python with an older CPU model, where an
instruction beyond the model raises SIGILL. Every kernel family runs there
(with two threads, both dtypes, every activation) and is checked against
NumPy. The test needs qemu-x86_64 (Debian's qemu-user) and skips without it.
"""

import os
import platform
import shutil
import subprocess
import sys

import pytest

QEMU = shutil.which("qemu-x86_64")
pytestmark = pytest.mark.skipif(
    QEMU is None or platform.machine() != "x86_64", reason="needs qemu-x86_64 on x86-64"
)

WORKLOAD = r"""
import sys
import numpy as np
import rosenblatt as rb
from rosenblatt import kernels

expected_isa = sys.argv[1]
assert rb.info()["simd_active"] == expected_isa, rb.info()
rb.set_num_threads(2)
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    a = rng.standard_normal((37, 300)).astype(dtype)
    b = rng.standard_normal((300, 41)).astype(dtype)
    bias = rng.standard_normal(41).astype(dtype)
    for act in (None, "relu", "sigmoid", "tanh", "gelu"):
        c = kernels.gemm(a, b, bias=bias, activation=act)
        assert c.shape == (37, 41)
    np.testing.assert_allclose(kernels.gemm(a, b), a @ b, rtol=tol, atol=tol * 20)
    stack = kernels.batched_gemm(np.stack([a, a]), b, trans_a=False)
    np.testing.assert_allclose(stack[1], a @ b, rtol=tol, atol=tol * 20)

    x = rng.standard_normal((64, 1000)).astype(dtype)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(kernels.softmax(x), e / e.sum(1, keepdims=True), rtol=tol, atol=1e-7)
    kernels.log_softmax(x, axis=0)
    labels = rng.integers(0, 1000, 64)
    loss, grad = kernels.cross_entropy(x, labels, label_smoothing=0.1)
    assert np.isfinite(loss) and grad.shape == x.shape

    params = [rng.standard_normal(n).astype(dtype) for n in (1, 17, 100_003)]
    grads = [rng.standard_normal(p.shape).astype(dtype) for p in params]
    zeros = lambda: [np.zeros_like(p) for p in params]
    kernels.sgd_(params, grads, zeros(), lr=0.1, momentum=0.9, nesterov=True)
    kernels.adagrad_(params, grads, zeros(), step=1)
    kernels.adadelta_(params, grads, zeros(), zeros())
    kernels.rmsprop_(params, grads, zeros(), zeros(), zeros(), momentum=0.9, centered=True)
    kernels.adam_(params, grads, zeros(), zeros(), zeros(), step=1, amsgrad=True)
    kernels.adamw_(params, grads, zeros(), zeros(), step=3)
    assert all(np.isfinite(p).all() for p in params)

    X = rng.standard_normal((37, 19)).astype(dtype)
    Y = rng.standard_normal((53, 19)).astype(dtype)
    diff = X[:, None, :] - Y[None, :, :]
    np.testing.assert_allclose(kernels.pairwise_distances(X, Y, metric="manhattan"),
                               np.abs(diff).sum(-1), rtol=tol, atol=tol * 20)
    np.testing.assert_allclose(kernels.pairwise_distances(X, Y), np.sqrt((diff ** 2).sum(-1)),
                               rtol=tol * 10, atol=tol * 100)
    for metric in ("chebyshev", "hamming", "cosine", "sqeuclidean"):
        assert np.isfinite(kernels.pairwise_distances(X, Y, metric=metric)).all()
    kernels.pairwise_distances(X, Y, metric="minkowski", p=3.0)
    distances, indices = kernels.kneighbors(X, Y, 5, metric="manhattan")
    np.testing.assert_array_equal(indices, np.argsort(np.abs(diff).sum(-1), axis=1, kind="stable")[:, :5])
    for kernel in ("linear", "poly", "rbf", "sigmoid"):
        assert np.isfinite(kernels.kernel_matrix(X, Y, kernel=kernel)).all()
    K = kernels.kernel_matrix(X.astype(np.float64), kernel="rbf")
    labels = np.where(np.arange(len(X)) % 2 == 0, 1.0, -1.0)
    assert kernels.smo_solve(K, labels, C=1.0)[0].shape == (len(X),)
    lloyd = kernels.kmeans_lloyd(Y, Y[:4].copy(), max_iter=20)
    np.testing.assert_array_equal(lloyd.labels, kernels.kneighbors(Y, lloyd.centers, 1,
                                                                   metric="sqeuclidean")[1][:, 0])
    q, k, v = (rng.standard_normal((2, 3, 37, 16)).astype(dtype) for _ in range(3))
    s = np.where(np.tri(37, dtype=bool), q @ k.swapaxes(-1, -2) / 4, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    out, lse = kernels.attention_forward(q, k, v, is_causal=True)
    np.testing.assert_allclose(out, p / p.sum(-1, keepdims=True) @ v, rtol=tol, atol=tol)
    assert all(np.isfinite(g).all() for g in kernels.attention_backward(q, k, v, out, lse, out))
    from rosenblatt.kernels import conv_reference
    img = rng.standard_normal((3, 4, 9, 8)).astype(dtype)
    weight = rng.standard_normal((6, 2, 3, 3)).astype(dtype)
    geometry = ((1, 1), (1, 1), (1, 1), 2)
    y = kernels.conv2d(img, weight, padding=1, groups=2)
    np.testing.assert_allclose(y, conv_reference.conv2d(img, weight, None, *geometry, (9, 8)),
                               rtol=tol, atol=tol * 20)
    gy = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(kernels.conv2d_input_grad(gy, weight, (9, 8), padding=1, groups=2),
                               conv_reference.conv2d_input_grad(gy, weight, (9, 8), *geometry),
                               rtol=tol, atol=tol * 20)
    dw, db = kernels.conv2d_weight_grad(gy, img, (3, 3), padding=1, groups=2, with_bias=True)
    np.testing.assert_allclose(dw, conv_reference.conv2d_weight_grad(gy, img, (3, 3), *geometry),
                               rtol=tol, atol=tol * 50)
    pooled, where = kernels.max_pool2d(img, 2)
    np.testing.assert_array_equal(pooled, img[:, :, :8].reshape(3, 4, 4, 2, 4, 2).max((3, 5)))
    assert kernels.max_pool2d_backward(pooled, where, (9, 8)).shape == img.shape
    assert np.isfinite(kernels.avg_pool2d_backward(kernels.avg_pool2d(img, 3, 2, 1), (9, 8), 3, 2,
                                                   1)).all()
    np.testing.assert_allclose(kernels.adaptive_avg_pool2d(img, 1)[..., 0, 0], img.mean((2, 3)),
                               rtol=tol, atol=tol)
    xs = rng.standard_normal((4, 8, 7)).astype(dtype)
    h0 = np.zeros((8, 48), dtype)
    for mode, gates in (("lstm", 4), ("gru", 3), ("rnn_tanh", 1)):
        w_ih = (0.3 * rng.standard_normal((gates * 48, 7))).astype(dtype)
        w_hh = (0.1 * rng.standard_normal((gates * 48, 48))).astype(dtype)
        seq = kernels.rnn_forward(mode, xs, h0, w_ih, w_hh, c0=h0 if mode == "lstm" else None,
                                  lengths=[4, 2, 3, 1, 4, 4, 2, 3])
        grads = kernels.rnn_backward(mode, xs, seq.saved, w_ih, w_hh, dout=seq.output,
                                     lengths=[4, 2, 3, 1, 4, 4, 2, 3])
        assert all(g is None or np.isfinite(g).all() for g in grads)
        if mode == "rnn_tanh":  # the first step from a zero state: tanh(x_0 W_ih^T)
            np.testing.assert_allclose(seq.output[0], np.tanh(xs[0] @ w_ih.T), rtol=tol, atol=tol)
print("ran")
"""


@pytest.mark.parametrize("cpu,isa", [("Nehalem", "baseline"), ("Haswell", "avx2")])
def test_kernels_run_on_an_older_cpu(cpu, isa):
    from rosenblatt import _C

    if isa not in _C.compiled_isas():
        pytest.skip(f"{isa} is not compiled into this build")
    result = subprocess.run(
        [QEMU, "-cpu", cpu, sys.executable, "-c", WORKLOAD, isa],
        capture_output=True, text=True, timeout=600,
        # OpenBLAS (inside NumPy) picks its kernels by CPU family and model, and
        # under QEMU it can pick Haswell ones on the Nehalem model; a real
        # Nehalem gets Nehalem kernels, so name the core as the CPU model.
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OPENBLAS_CORETYPE": cpu},
    )
    assert result.returncode == 0, (
        f"exit {result.returncode} on {cpu} (-4 or 132 is SIGILL):\n{result.stderr[-3000:]}"
    )
    assert result.stdout.strip().endswith("ran")
