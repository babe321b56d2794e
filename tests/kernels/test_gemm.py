"""rb.kernels.gemm / batched_gemm against a float64 NumPy reference."""

import math
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import kernels

DTYPES = [np.float32, np.float64]
ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
REFERENCE_ACTIVATION = {
    None: lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "gelu": lambda x: 0.5 * x * _erfc(-x / math.sqrt(2)),  # erfc keeps the far left tail
}


def reference(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None, bias=None,
              activation=None):
    """(value, error bound) of the product in float64. The bound is the classical
    componentwise one for a dot product, 8 eps (k + 2) (|alpha| |A||B| + |beta C| + |bias|)."""
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    opa = np.swapaxes(a64, -1, -2) if trans_a else a64
    opb = np.swapaxes(b64, -1, -2) if trans_b else b64
    value = alpha * (opa @ opb)
    scale = abs(alpha) * (np.abs(opa) @ np.abs(opb))
    if c is not None and beta != 0:
        value = value + beta * c.astype(np.float64)
        scale = scale + abs(beta) * np.abs(c.astype(np.float64))
    if bias is not None:
        value = value + bias.astype(np.float64)
        scale = scale + np.abs(bias.astype(np.float64))
    k = opa.shape[-1]
    eps = np.finfo(a.dtype).eps
    bound = 8 * eps * (k + 2) * scale
    return REFERENCE_ACTIVATION[activation](value), bound


def assert_matches(result, expected, bound):
    """|result - expected| <= 1.2 bound + the activation's own rounding (a few eps relative)."""
    eps = np.finfo(result.dtype).eps
    tolerance = 1.2 * bound + 32 * eps * np.abs(expected) + (eps if result.dtype == np.float32 else 0)
    err = np.abs(result.astype(np.float64) - expected)
    bad = np.argwhere(~(err <= tolerance))
    assert bad.size == 0, (
        f"{len(bad)} mismatches, first at {bad[0].tolist()}: got {result[tuple(bad[0])]}, "
        f"expected {expected[tuple(bad[0])]}, tolerance {tolerance[tuple(bad[0])]}"
    )


def random(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


SHAPES = [  # (m, n, k): ones, primes, a single k, a long k, edges of every block size
    (1, 1, 1), (1, 7, 1), (7, 1, 13), (7, 13, 5), (31, 37, 41), (14, 32, 256), (15, 33, 257),
    (3, 4, 5000), (64, 512, 512), (300, 530, 700), (97, 1031, 3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k", SHAPES)
def test_gemm_matches_reference(isa, dtype, m, n, k):
    rng = np.random.default_rng(m * 10007 + n * 101 + k)
    a, b = random(rng, (m, k), dtype), random(rng, (k, n), dtype)
    expected, bound = reference(a, b)
    assert_matches(kernels.gemm(a, b), expected, bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_transposed_operands_read_in_place(isa, dtype, trans_a, trans_b):
    rng = np.random.default_rng(1)
    m, n, k = 45, 67, 89
    # Fortran-ordered views (x.T of a C array) are what transposition produces.
    a = random(rng, (m, k), dtype).T if trans_a else random(rng, (k, m), dtype).T
    b = random(rng, (k, n), dtype).T if trans_b else random(rng, (n, k), dtype).T
    expected, bound = reference(a, b, trans_a=trans_a, trans_b=trans_b)
    assert_matches(kernels.gemm(a, b, trans_a=trans_a, trans_b=trans_b), expected, bound)


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_and_reversed_views(isa, dtype):
    rng = np.random.default_rng(2)
    base_a, base_b = random(rng, (80, 90), dtype), random(rng, (70, 100), dtype)
    a = base_a[::2, 1::3]        # (40, 30), neither stride unit
    b = base_b[::-2, ::-1][:30]  # (30, 100), negative strides
    expected, bound = reference(a, b)
    assert_matches(kernels.gemm(a, b), expected, bound)
    broadcast = np.broadcast_to(np.arange(30, dtype=dtype), (40, 30))  # zero stride
    expected, bound = reference(broadcast, b)
    assert_matches(kernels.gemm(broadcast, b), expected, bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.5, 0.0), (1.0, 1.0), (-0.5, 2.0),
                                        (0.0, 1.0), (0.0, 0.0), (1.0, -1.0)])
def test_alpha_beta(isa, dtype, alpha, beta):
    rng = np.random.default_rng(3)
    a, b, c = random(rng, (33, 47), dtype), random(rng, (47, 29), dtype), random(rng, (33, 29), dtype)
    expected, bound = reference(a, b, alpha=alpha, beta=beta, c=c)
    out = c.copy()
    result = kernels.gemm(a, b, alpha=alpha, beta=beta, out=out)
    assert result is out
    assert_matches(out, expected, bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k", [(33, 29, 47), (40, 70, 600)])  # narrow tiles; 3 k blocks
def test_bias_added_once_with_alpha_beta(isa, dtype, m, n, k):
    # The bias is added in the micro-kernel as the last k block is stored: once,
    # after alpha and beta, on whole and narrow tiles alike.
    rng = np.random.default_rng(8)
    a, b, c = random(rng, (m, k), dtype), random(rng, (k, n), dtype), random(rng, (m, n), dtype)
    bias = random(rng, (n,), dtype, 3.0)
    expected, bound = reference(a, b, alpha=-1.5, beta=0.5, c=c, bias=bias)
    out = c.copy()
    kernels.gemm(a, b, alpha=-1.5, beta=0.5, out=out, bias=bias)
    assert_matches(out, expected, bound)


def test_beta_zero_does_not_read_out(isa):
    a, b = np.ones((20, 30), np.float32), np.ones((30, 40), np.float32)
    out = np.full((20, 40), np.nan, np.float32)
    kernels.gemm(a, b, out=out)
    np.testing.assert_array_equal(out, 30.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (17, 35, 19), (64, 130, 300)])
def test_bias_and_activation_fused(isa, dtype, activation, m, n, k):
    rng = np.random.default_rng(4)
    a, b = random(rng, (m, k), dtype, 0.3), random(rng, (k, n), dtype, 0.3)
    bias = random(rng, (n,), dtype, 2.0)
    expected, bound = reference(a, b, bias=bias, activation=activation)
    assert_matches(kernels.gemm(a, b, bias=bias, activation=activation), expected, bound)
    expected, bound = reference(a, b, activation=activation)
    assert_matches(kernels.gemm(a, b, activation=activation), expected, bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS[1:])
def test_activation_over_wide_range(isa, dtype, activation):
    # identity @ x: the activation alone, from -90 to 90 and around 0
    x = np.concatenate([np.linspace(-90, 90, 3001), np.linspace(-1e-3, 1e-3, 101),
                        [-1e-30, 0.0, 1e-30]]).astype(dtype)
    eye = np.eye(1, dtype=dtype)
    result = kernels.gemm(eye, x[None, :], activation=activation)[0]
    expected = REFERENCE_ACTIVATION[activation](x.astype(np.float64))
    finfo = np.finfo(dtype)
    rtol = np.full(x.shape, 4 * finfo.eps ** 0.85)
    if activation == "gelu":
        # gelu's far left tail is ill-conditioned: d log gelu / d log x ~ x^2, so
        # the rounding of x alone moves the result by x^2 eps relative.
        rtol = np.maximum(rtol, 2 * x.astype(np.float64) ** 2 * finfo.eps)
    err = np.abs(result - expected)
    bad = np.flatnonzero(~(err <= rtol * np.abs(expected) + 2 * finfo.tiny))
    assert bad.size == 0, f"at x={x[bad[:5]]}: got {result[bad[:5]]}, expected {expected[bad[:5]]}"


def test_relu_propagates_nan(isa):
    a = np.array([[np.nan], [-1.0], [2.0]], np.float32)
    result = kernels.gemm(a, np.ones((1, 1), np.float32), activation="relu")
    assert np.isnan(result[0, 0]) and result[1, 0] == 0.0 and result[2, 0] == 2.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k", [(0, 5, 3), (5, 0, 3), (0, 0, 0)])
def test_zero_size_output(dtype, m, n, k):
    result = kernels.gemm(np.ones((m, k), dtype), np.ones((k, n), dtype))
    assert result.shape == (m, n) and result.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_k_gives_beta_c_plus_bias(isa, dtype):
    c = np.arange(12, dtype=dtype).reshape(3, 4)
    bias = np.array([1, -20, 3, -4], dtype)
    out = c.copy()
    kernels.gemm(np.ones((3, 0), dtype), np.ones((0, 4), dtype), beta=2.0, out=out, bias=bias,
                 activation="relu")
    np.testing.assert_array_equal(out, np.maximum(2 * c + bias, 0))
    np.testing.assert_array_equal(kernels.gemm(np.ones((3, 0), dtype), np.ones((0, 4), dtype)), 0)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_counts_agree(threads):
    rng = np.random.default_rng(5)
    a, b = random(rng, (259, 301), np.float32), random(rng, (301, 517), np.float32)
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(threads)
        result = kernels.gemm(a, b)
    finally:
        rb.set_num_threads(before)
    expected, bound = reference(a, b)
    assert_matches(result, expected, bound)


# ---------------------------------------------------------------- batched


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_a,shape_b,trans_a,trans_b", [
    ((3, 7, 5), (3, 5, 11), False, False),
    ((8, 20, 30), (8, 40, 30), False, True),
    ((1, 30, 20), (1, 30, 40), True, False),
    ((5, 16, 9), (9, 33), False, False),      # b shared across the stack
    ((17, 9), (4, 17, 6), True, False),       # a shared across the stack
    ((2, 150, 260), (2, 260, 170), False, False),
])
def test_batched_gemm(isa, dtype, shape_a, shape_b, trans_a, trans_b):
    rng = np.random.default_rng(6)
    a, b = random(rng, shape_a, dtype), random(rng, shape_b, dtype)
    n = b.shape[-2] if trans_b else b.shape[-1]
    bias = random(rng, (n,), dtype)
    expected, bound = reference(a, b, trans_a=trans_a, trans_b=trans_b, bias=bias,
                                activation="tanh")
    result = kernels.batched_gemm(a, b, trans_a=trans_a, trans_b=trans_b, bias=bias,
                                  activation="tanh")
    assert result.shape == expected.shape
    assert_matches(result, expected, bound)


def test_batched_gemm_out_and_beta(isa):
    rng = np.random.default_rng(7)
    a, b, c = random(rng, (6, 8, 9), np.float64), random(rng, (6, 9, 10), np.float64), \
        random(rng, (6, 8, 10), np.float64)
    out = c.copy()
    kernels.batched_gemm(a, b, alpha=0.5, beta=-1.0, out=out)
    expected, bound = reference(a, b, alpha=0.5, beta=-1.0, c=c)
    assert_matches(out, expected, bound)


def test_batched_gemm_empty_stack():
    result = kernels.batched_gemm(np.ones((0, 3, 4), np.float32), np.ones((0, 4, 5), np.float32))
    assert result.shape == (0, 3, 5)


# ---------------------------------------------------------------- threads and the GIL


def test_gil_is_released_while_gemm_runs():
    """A Python thread makes progress while gemm runs: with the GIL held it could not."""
    rng = np.random.default_rng(8)
    a, b = random(rng, (1024, 1024), np.float32), random(rng, (1024, 1024), np.float32)
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    worker = threading.Thread(target=count)
    worker.start()
    try:
        progressed = []
        for _ in range(3):
            before = counter[0]
            kernels.gemm(a, b)
            progressed.append(counter[0] - before)
    finally:
        stop.set()
        worker.join()
    assert max(progressed) > 1000, progressed


def test_two_threads_compute_different_products_at_once():
    rng = np.random.default_rng(9)
    pairs = [(random(rng, (300, 200), np.float32), random(rng, (200, 250), np.float32)),
             (random(rng, (210, 310), np.float64), random(rng, (310, 120), np.float64))]
    results = [None, None]

    def work(i):
        for _ in range(5):
            results[i] = kernels.gemm(*pairs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (a, b), result in zip(pairs, results):
        expected, bound = reference(a, b)
        assert_matches(result, expected, bound)


# ---------------------------------------------------------------- bad input


def f32(*shape):
    return np.ones(shape, np.float32)


@pytest.mark.parametrize("call,error,match", [
    (lambda: kernels.gemm([[1.0]], f32(1, 1)), TypeError, "a must be a numpy.ndarray"),
    (lambda: kernels.gemm(f32(1, 1), "b"), TypeError, "b must be a numpy.ndarray"),
    (lambda: kernels.gemm(np.ones((2, 2), np.int64), f32(2, 2)), TypeError, "a must have dtype"),
    (lambda: kernels.gemm(np.ones((2, 2), np.float16), np.ones((2, 2), np.float16)), TypeError,
     "float32 or float64"),
    (lambda: kernels.gemm(f32(2, 2), np.ones((2, 2))), TypeError, "b must have the dtype of a"),
    (lambda: kernels.gemm(f32(2), f32(2, 2)), ValueError, "a must be 2-D"),
    (lambda: kernels.gemm(f32(2, 2), f32(2, 2, 2)), ValueError, "b must be 2-D"),
    (lambda: kernels.gemm(f32(2, 3), f32(2, 3)), ValueError, "inner dimensions differ"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), trans_a=True), ValueError, "inner dimensions"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), alpha=float("nan")), ValueError,
     "alpha must be finite"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), beta=float("inf"), out=f32(2, 4)), ValueError,
     "beta must be finite"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), beta=1.0), ValueError, "beta must be 0"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), alpha="2"), TypeError, "alpha must be a real number"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), alpha=True), TypeError, "alpha must be a real number"),
    (lambda: kernels.gemm(f32(3, 2), f32(3, 4), trans_a="yes"), TypeError, "trans_a must be a bool"),
    (lambda: kernels.gemm(f32(2, 3), f32(4, 3), trans_b=None), TypeError, "trans_b must be a bool"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), out=f32(4, 2)), ValueError,
     r"out must have shape \(2, 4\)"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), out=np.ones((2, 4))), TypeError,
     "out must have the dtype of a"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), out=f32(4, 2).T), ValueError, "C-contiguous"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), out=[[0.0] * 4] * 2), TypeError,
     "out must be a numpy.ndarray"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), bias=f32(3)), ValueError, r"bias must have shape \(4,\)"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), bias=f32(1, 4)), ValueError, "bias must have shape"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), bias=np.ones(4)), TypeError, "bias must have the dtype"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), bias=f32(8)[::2]), ValueError, "bias must be C-contiguous"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), activation="softmax"), ValueError,
     "activation must be None, 'relu'"),
    (lambda: kernels.gemm(f32(2, 3), f32(3, 4), activation=1), TypeError, "activation must be None or a str"),
    (lambda: kernels.batched_gemm(f32(2, 3), f32(3, 4)), ValueError, "needs a 3-D a or b"),
    (lambda: kernels.batched_gemm(f32(2, 2, 3), f32(3, 3, 4)), ValueError, "the same number of matrices"),
    (lambda: kernels.batched_gemm(f32(2, 2, 2, 3), f32(3, 4)), ValueError, "a must be 2-D or 3-D"),
    (lambda: kernels.batched_gemm(f32(2, 2, 3), f32(3, 4), out=f32(2, 4)), ValueError,
     r"out must have shape \(2, 2, 4\)"),
])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_out_must_be_writeable():
    out = f32(2, 4)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        kernels.gemm(f32(2, 3), f32(3, 4), out=out)


def test_out_must_not_alias_inputs():
    buffer = f32(4, 4)
    with pytest.raises(ValueError, match="out must not share memory with a"):
        kernels.gemm(buffer, f32(4, 4), out=buffer)
    with pytest.raises(ValueError, match="out must not share memory with b"):
        kernels.gemm(f32(4, 4), buffer[:, :], out=buffer)
    bias = f32(8)
    with pytest.raises(ValueError, match="out must not share memory with bias"):
        kernels.gemm(f32(1, 2), f32(2, 8), out=bias[None, :], bias=bias)


def test_output_size_overflow_raises():
    # zero-stride views make huge operands without memory; their product cannot exist
    a = np.broadcast_to(f32(1, 1, 1), (2**40, 1, 1))
    b = np.broadcast_to(f32(1, 1), (1, 2**30))
    with pytest.raises(ValueError, match="overflows"):
        kernels.batched_gemm(a, b)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses RLIMIT_AS and /proc")
def test_out_of_memory_for_packing_raises_memory_error():
    # A fresh process whose address space is capped just above what it uses:
    # the first float64 product cannot get its packing buffers.
    code = textwrap.dedent("""
        import resource, numpy as np, rosenblatt as rb
        rb.set_num_threads(1)
        a = np.ones((64, 64))
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * 4096
        resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 18), resource.RLIM_INFINITY))
        try:
            rb.kernels.gemm(a, a)
        except MemoryError as e:
            print("MemoryError:", e)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "MemoryError: gemm: not enough memory" in result.stdout


def test_unaligned_strides_raise():
    raw = np.zeros(4 * 13 + 1, np.uint8)[1:].view(np.float32).reshape(13, 1)  # fine, aligned to item
    kernels.gemm(raw, f32(1, 2))
    odd = np.lib.stride_tricks.as_strided(np.zeros(100, np.float32), shape=(3, 3), strides=(6, 4))
    with pytest.raises(ValueError, match="not a multiple of its item size"):
        kernels.gemm(odd, f32(3, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m", [1, 2, 4, 5])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("activation", [None, "gelu"])
def test_few_row_products(isa, dtype, m, trans_b, activation):
    # m <= 4 rows run as matrix-vector products straight from B (dot products
    # for a transposed B, row updates otherwise), in blocks of 512 columns.
    rng = np.random.default_rng(11)
    n, k = 1031, 300
    a = random(rng, (m, k), dtype)
    b = random(rng, (n, k), dtype).T if trans_b else random(rng, (k, n), dtype)
    bias, c = random(rng, (n,), dtype), random(rng, (m, n), dtype)
    expected, bound = reference(a, b, bias=bias, activation=activation)
    assert_matches(kernels.gemm(a, b, bias=bias, activation=activation), expected, bound)
    expected, bound = reference(a, b, alpha=0.5, beta=-2.0, c=c)
    out = c.copy()
    kernels.gemm(a, b, alpha=0.5, beta=-2.0, out=out)
    assert_matches(out, expected, bound)
    strided = random(rng, (m, 2 * k), dtype)[:, ::2]     # rows not contiguous: the packed path
    expected, bound = reference(strided, b)
    assert_matches(kernels.gemm(strided, b), expected, bound)
