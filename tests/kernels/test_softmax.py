"""rosenblatt.kernels.softmax / log_softmax / cross_entropy against NumPy
references computed in float64 (and against PyTorch where it is installed).

Every value test takes the `isa` fixture (tests/conftest.py), so it runs on
each SIMD path this build and CPU support.
"""

import numpy as np
import pytest

import rosenblatt
from rosenblatt import kernels as K

DTYPES = [np.float32, np.float64]
# rtol, and atol per unit of the values' scale.
TOL = {np.float32: (2e-5, 2e-6), np.float64: (1e-12, 1e-13)}


def assert_close(actual, expected, dtype, scale=1.0):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale)


# ---------------------------------------------------------------- references


def ref_log_softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_softmax(x, axis=-1):
    return np.exp(ref_log_softmax(x, axis))


def ref_cross_entropy(logits, labels, reduction="mean", label_smoothing=0.0, ignore_index=-100):
    """torch.nn.functional.cross_entropy semantics, in float64: (loss, grad)."""
    n, c = logits.shape
    log_p = ref_log_softmax(logits, axis=1)
    kept = labels != ignore_index
    target = np.full((n, c), label_smoothing / c)
    target[np.flatnonzero(kept), labels[kept].astype(np.int64)] += 1.0 - label_smoothing
    target[~kept] = 0.0
    loss = -(target * log_p).sum(axis=1)
    grad = (np.exp(log_p) - target) * kept[:, None]
    if reduction == "none":
        return loss, grad
    if reduction == "sum":
        return loss.sum(), grad
    count = int(kept.sum())
    if count == 0:
        return float("nan"), grad
    return loss.sum() / count, grad / count


def random_logits(shape, dtype, scale=3.0, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def random_labels(n, c, seed=1):
    return np.random.default_rng(seed).integers(0, c, size=n)


# ---------------------------------------------------------- softmax values

SHAPES_AND_AXES = [
    ((1, 1), -1),
    ((7, 13), -1),
    ((7, 13), 0),
    ((13,), 0),
    ((0, 5), -1),
    ((5, 0), -1),
    ((5, 0), 0),
    ((6, 1), -1),
    ((6, 1), 0),
    ((3, 5000), -1),
    ((2, 3, 4), 0),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((3, 5, 130), 1),  # inner 130: two full blocks of positions and a partial one
    ((2, 3, 5, 7), -3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, axis", SHAPES_AND_AXES)
def test_softmax_matches_reference(isa, dtype, shape, axis):
    x = random_logits(shape, dtype)
    y = K.softmax(x, axis=axis)
    assert y.shape == x.shape and y.dtype == dtype and y.flags.c_contiguous
    assert_close(y, ref_softmax(x, axis), dtype)
    if x.size:
        assert_close(y.sum(axis=axis), 1.0, dtype, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, axis", SHAPES_AND_AXES)
def test_log_softmax_matches_reference(isa, dtype, shape, axis):
    x = random_logits(shape, dtype)
    y = K.log_softmax(x, axis=axis)
    assert y.shape == x.shape and y.dtype == dtype and y.flags.c_contiguous
    assert_close(y, ref_log_softmax(x, axis), dtype, scale=10)


def test_default_axis_is_last(isa):
    x = random_logits((3, 4, 5), np.float64)
    np.testing.assert_array_equal(K.softmax(x), K.softmax(x, axis=2))
    np.testing.assert_array_equal(K.log_softmax(x), K.log_softmax(x, axis=-1))


def test_axis_accepts_numpy_integers(isa):
    x = random_logits((3, 4), np.float64)
    np.testing.assert_array_equal(K.softmax(x, axis=np.int64(0)), K.softmax(x, axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_of_huge_logits_is_stable(isa, dtype, axis):
    x = random_logits((9, 31), dtype, scale=1e4)
    y = K.softmax(x, axis=axis)
    log_y = K.log_softmax(x, axis=axis)
    assert np.isfinite(y).all() and np.isfinite(log_y).all()
    assert_close(y, ref_softmax(x, axis), dtype)
    assert_close(log_y, ref_log_softmax(x, axis), dtype, scale=1e4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gap", [20.0, 80.0, 100.0, 200.0])
def test_peaked_logits(isa, dtype, gap):
    # One logit `gap` above the others: it gets p = 1 / (1 + (C - 1) e^-gap),
    # the others e^-gap / (...), below float32's normal range from gap = 88
    # (flushed to 0 there) and still representable in float64.
    x = np.zeros((4, 17), dtype)
    x[np.arange(4), [0, 5, 16, 8]] = gap
    assert_close(K.softmax(x), ref_softmax(x), dtype)
    assert_close(K.log_softmax(x), ref_log_softmax(x), dtype, scale=gap)
    assert_close(K.softmax(x, axis=0), ref_softmax(x, 0), dtype)


def test_exp_covers_the_float32_range(isa):
    # softmax([t, 0]) with t <= 0 is e^t / (1 + e^t): every exponent the
    # kernel meets. Within a few ulp while the result is a normal float;
    # below FLT_MIN (t < -87.3) it is flushed to 0.
    t = np.linspace(-110.0, 0.0, 200001, dtype=np.float32)
    x = np.stack([t, np.zeros_like(t)], axis=1)
    expected = ref_softmax(x)[:, 0]
    actual = K.softmax(x)[:, 0].astype(np.float64)
    tiny = np.finfo(np.float32).tiny
    normal = expected >= tiny
    ulp = np.spacing(expected[normal].astype(np.float32)).astype(np.float64)
    assert (np.abs(actual[normal] - expected[normal]) <= 3 * ulp).all()
    assert (actual[~normal] <= tiny).all() and (actual[t < -88.0] == 0.0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1])
def test_non_finite_logits_propagate_like_torch(isa, dtype, axis):
    # -inf is probability 0; a row of -inf, a +inf or a NaN anywhere is NaN.
    inf, nan = np.inf, np.nan
    rows = [[0.0, -inf, 1.0], [-inf, -inf, -inf], [inf, 0.0, 0.0], [0.0, nan, 1.0], [nan, 0, 0]]
    x = np.array(rows, dtype)
    x = x if axis == 1 else np.ascontiguousarray(x.T)
    y = K.softmax(x, axis=axis)
    y = y if axis == 1 else y.T
    np.testing.assert_allclose(y[0], ref_softmax(np.array(rows[:1]))[0], rtol=1e-6)
    assert np.isnan(y[1:]).all()
    loss, grad = K.cross_entropy(np.array(rows[3:], dtype), np.array([0, 1]), reduction="none")
    assert np.isnan(loss).all() and np.isnan(grad).all()


# ------------------------------------------------------- strided inputs


def strided_views(dtype):
    base = random_logits((12, 26), dtype)
    cube = random_logits((4, 6, 10), dtype)
    return {
        "column slice": base[:, :13],
        "every other column": base[:, ::2],
        "every other row": base[::2],
        "reversed rows": base[::-1],
        "transposed": base.T,
        "fortran order": np.asfortranarray(base),
        "cube transposed": cube.transpose(2, 0, 1),
        "cube rows strided": cube[:, ::2, :],
        "cube sliced inner": cube[:, :, 3:9],
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize(
    "view",
    ["column slice", "every other column", "every other row", "reversed rows", "transposed",
     "fortran order", "cube transposed", "cube rows strided", "cube sliced inner"],
)
def test_strided_inputs(isa, dtype, axis, view):
    x = strided_views(dtype)[view]
    before = x.copy()
    assert_close(K.softmax(x, axis=axis), ref_softmax(x, axis), dtype)
    assert_close(K.log_softmax(x, axis=axis), ref_log_softmax(x, axis), dtype, scale=10)
    np.testing.assert_array_equal(x, before)


def test_unaligned_input(isa):
    buffer = np.zeros(4 * 20 + 1, np.uint8)[1:]
    x = buffer.view(np.float32).reshape(4, 5)
    x[...] = random_logits((4, 5), np.float32)
    assert not x.flags.aligned
    assert_close(K.softmax(x), ref_softmax(x), np.float32)


def test_results_do_not_depend_on_thread_count(isa):
    x = random_logits((64, 700), np.float32)
    labels = random_labels(64, 700)
    previous = rosenblatt.get_num_threads()
    try:
        rosenblatt.set_num_threads(1)
        one = (K.softmax(x), K.softmax(x, axis=0), K.cross_entropy(x, labels))
        rosenblatt.set_num_threads(2)
        two = (K.softmax(x), K.softmax(x, axis=0), K.cross_entropy(x, labels))
    finally:
        rosenblatt.set_num_threads(previous)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert one[2][0] == two[2][0]
    np.testing.assert_array_equal(one[2][1], two[2][1])


# ---------------------------------------------------------- cross-entropy


def check_cross_entropy(logits, labels, dtype, scale=1.0, **options):
    loss, grad = K.cross_entropy(logits, labels, **options)
    ref_loss, ref_grad = ref_cross_entropy(logits, labels, **options)
    assert grad.shape == logits.shape and grad.dtype == dtype
    if options.get("reduction", "mean") == "none":
        assert isinstance(loss, np.ndarray) and loss.shape == labels.shape and loss.dtype == dtype
    else:
        assert isinstance(loss, float)
    assert_close(loss, ref_loss, dtype, scale=scale)
    assert_close(grad, ref_grad, dtype)
    return loss, grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (6, 1), (0, 5), (9, 5000), (33, 1000)])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_matches_reference(isa, dtype, reduction, shape, label_smoothing):
    logits = random_logits(shape, dtype)
    labels = random_labels(shape[0], shape[1])
    check_cross_entropy(logits, labels, dtype, scale=10, reduction=reduction,
                        label_smoothing=label_smoothing)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignores_rows(isa, dtype, reduction):
    logits = random_logits((10, 7), dtype)
    labels = random_labels(10, 7)
    labels[[0, 3, 4, 9]] = -100
    loss, grad = check_cross_entropy(logits, labels, dtype, reduction=reduction,
                                     label_smoothing=0.2)
    np.testing.assert_array_equal(grad[[0, 3, 4, 9]], 0.0)
    if reduction == "none":
        np.testing.assert_array_equal(loss[[0, 3, 4, 9]], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_custom_ignore_index_inside_the_classes(isa, dtype):
    logits = random_logits((12, 5), dtype)
    labels = np.arange(12) % 5
    loss, grad = check_cross_entropy(logits, labels, dtype, ignore_index=3)
    np.testing.assert_array_equal(grad[labels == 3], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_all_ignored(isa, dtype):
    # 'mean' is 0 / 0 = nan, as in PyTorch; nothing gets a gradient.
    logits = random_logits((4, 6), dtype)
    labels = np.full(4, -100)
    loss, grad = K.cross_entropy(logits, labels)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad, 0.0)
    loss, grad = K.cross_entropy(logits, labels, reduction="sum")
    assert loss == 0.0
    np.testing.assert_array_equal(grad, 0.0)
    loss, grad = K.cross_entropy(logits, labels, reduction="none")
    np.testing.assert_array_equal(loss, 0.0)


def test_cross_entropy_of_no_rows(isa):
    logits = np.zeros((0, 5), np.float32)
    labels = np.zeros(0, np.int64)
    assert np.isnan(K.cross_entropy(logits, labels)[0])
    assert K.cross_entropy(logits, labels, reduction="sum")[0] == 0.0
    loss, grad = K.cross_entropy(logits, labels, reduction="none")
    assert loss.shape == (0,) and grad.shape == (0, 5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_huge_logits(isa, dtype, label_smoothing):
    logits = random_logits((16, 50), dtype, scale=1e4)
    labels = random_labels(16, 50)
    loss, grad = check_cross_entropy(logits, labels, dtype, scale=1e4, reduction="none",
                                     label_smoothing=label_smoothing)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_peaked_logits(isa, dtype):
    # A confident right answer has loss ~ 0 and a confident wrong one ~ gap.
    logits = np.zeros((2, 9), dtype)
    logits[:, 4] = 60.0
    labels = np.array([4, 0])
    loss, grad = check_cross_entropy(logits, labels, dtype, scale=60, reduction="none")
    assert loss[0] < 1e-20 and abs(loss[1] - 60.0) < 1e-4


@pytest.mark.parametrize(
    "label_dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                    np.uint64, np.dtype(">i4")],
)
def test_cross_entropy_accepts_every_integer_label_dtype(isa, label_dtype):
    logits = random_logits((8, 6), np.float64)
    labels = random_labels(8, 6)
    expected = K.cross_entropy(logits, labels)
    loss, grad = K.cross_entropy(logits, labels.astype(label_dtype))
    assert loss == expected[0]
    np.testing.assert_array_equal(grad, expected[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_strided_inputs(isa, dtype):
    base = random_logits((20, 30), dtype)
    labels = random_labels(40, 13)
    for logits in (base[:, :13], base[::2, :13], base.T[:13].T, np.asfortranarray(base[:, :13])):
        n = logits.shape[0]
        for lab in (labels[:n], labels[::2][:n], labels[::-1][:n]):
            check_cross_entropy(logits, lab, dtype, reduction="none", label_smoothing=0.1)


def test_cross_entropy_leaves_inputs_alone(isa):
    logits = random_logits((5, 4), np.float32)
    labels = random_labels(5, 4)
    before = logits.copy(), labels.copy()
    K.cross_entropy(logits, labels, label_smoothing=0.5)
    np.testing.assert_array_equal(logits, before[0])
    np.testing.assert_array_equal(labels, before[1])


# ----------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_matches_torch(isa, dtype, axis):
    torch = pytest.importorskip("torch")
    x = random_logits((5, 7, 9), dtype, scale=20)
    t = torch.from_numpy(x)
    assert_close(K.softmax(x, axis=axis), torch.softmax(t, dim=axis).numpy(), dtype)
    assert_close(K.log_softmax(x, axis=axis), torch.log_softmax(t, dim=axis).numpy(), dtype,
                 scale=20)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("ignored", ["none", "some", "all"])
def test_cross_entropy_matches_torch(isa, dtype, reduction, label_smoothing, ignored):
    torch = pytest.importorskip("torch")
    logits = random_logits((11, 17), dtype)
    labels = random_labels(11, 17)
    if ignored == "some":
        labels[[2, 5, 6]] = 7  # ignore_index below is 7
    elif ignored == "all":
        labels[:] = 7
    loss, grad = K.cross_entropy(logits, labels, reduction=reduction,
                                 label_smoothing=label_smoothing, ignore_index=7)

    t = torch.from_numpy(logits).requires_grad_(True)
    t_loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(labels), reduction=reduction,
                                               label_smoothing=label_smoothing, ignore_index=7)
    t_loss.sum().backward()
    expected = t_loss.detach().numpy()
    if reduction == "mean" and ignored == "all":
        assert np.isnan(loss) and np.isnan(expected)
    else:
        assert_close(loss, expected, dtype, scale=10)
    assert_close(grad, t.grad.numpy(), dtype)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", [K.softmax, K.log_softmax])
def test_softmax_rejects_bad_input(fn):
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="x must be a numpy.ndarray, got list"):
        fn([[1.0, 2.0]])
    with pytest.raises(TypeError, match="x must have dtype float32 or float64, got int64"):
        fn(np.zeros((3, 4), np.int64))
    with pytest.raises(TypeError, match="got float16"):
        fn(np.zeros((3, 4), np.float16))
    with pytest.raises(ValueError, match="x must have at least 1 dimension"):
        fn(np.array(1.0))
    for axis in (2, -3, 10**30):
        with pytest.raises(ValueError, match="axis"):
            fn(x, axis=axis)
    for axis in (1.0, "0", None):
        with pytest.raises(TypeError, match="axis must be an int"):
            fn(x, axis=axis)


def test_cross_entropy_rejects_bad_logits():
    labels = np.zeros(3, np.int64)
    with pytest.raises(TypeError, match="logits must be a numpy.ndarray"):
        K.cross_entropy([[0.0, 1.0]] * 3, labels)
    with pytest.raises(TypeError, match="logits must have dtype float32 or float64"):
        K.cross_entropy(np.zeros((3, 4), np.int32), labels)
    with pytest.raises(ValueError, match="logits must be 2-D, got shape"):
        K.cross_entropy(np.zeros(3), labels)
    with pytest.raises(ValueError, match="logits must be 2-D"):
        K.cross_entropy(np.zeros((3, 4, 2)), labels)
    with pytest.raises(ValueError, match="at least one class"):
        K.cross_entropy(np.zeros((3, 0)), labels)


def test_cross_entropy_rejects_bad_labels():
    logits = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="labels must be a numpy.ndarray, got list"):
        K.cross_entropy(logits, [0, 1, 2])
    with pytest.raises(TypeError, match="labels must have an integer dtype, got float64"):
        K.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="labels must have an integer dtype, got bool"):
        K.cross_entropy(logits, np.array([True, False, True]))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        K.cross_entropy(logits, np.zeros((3, 1), np.int64))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\)"):
        K.cross_entropy(logits, np.zeros(4, np.int64))


@pytest.mark.parametrize(
    "labels, row, value",
    [
        (np.array([0, 4, 1]), 1, 4),
        (np.array([0, 1, -1]), 2, -1),
        (np.array([-101, 0, 0], np.int16), 0, -101),
        (np.array([0, 0, 300], np.uint16), 2, 300),
        (np.array([0, 2**64 - 100, 0], np.uint64), 1, 2**64 - 100),  # would wrap to -100
    ],
)
def test_cross_entropy_rejects_labels_out_of_range(labels, row, value):
    with pytest.raises(ValueError, match=rf"labels\[{row}\] = {value} is out of range"):
        K.cross_entropy(np.zeros((3, 4), np.float32), labels)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"reduction": "avg"}, ValueError, "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
        ({"reduction": None}, TypeError, "reduction must be a str"),
        ({"label_smoothing": float("nan")}, ValueError, "label_smoothing must be finite"),
        ({"label_smoothing": float("inf")}, ValueError, "label_smoothing must be finite"),
        ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        ({"label_smoothing": "0.1"}, TypeError, "label_smoothing must be a real number"),
        ({"ignore_index": 1.5}, TypeError, "ignore_index must be an int"),
        ({"ignore_index": None}, TypeError, "ignore_index must be an int"),
    ],
)
def test_cross_entropy_rejects_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        K.cross_entropy(np.zeros((3, 4)), np.zeros(3, np.int64), **options)


def test_cross_entropy_options_are_keyword_only():
    with pytest.raises(TypeError):
        K.cross_entropy(np.zeros((3, 4)), np.zeros(3, np.int64), "sum")
