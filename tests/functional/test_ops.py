"""Elementwise, reduction, shape and matrix ops: values and gradients against torch, float64 gradcheck."""

import numpy as np
import pytest
from helpers import check_op, torch

import rosenblatt as rb
import rosenblatt.functional as F

T = torch

ELEMENTWISE = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (3, 4)]),
    ("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [(2, 3, 4), (3, 1)]),
    ("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [(5,)]),
    ("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, [(4, 1), (1, 5)]),
    ("rsub", lambda a: 1 - a, lambda a: 1 - a, [(7,)]),
    ("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [(2, 3, 4), (4,)]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (3, 4)]),
    ("rdiv", lambda a: 2 / a, lambda a: 2 / a, [(3, 4)]),
    ("neg", lambda a: -a, lambda a: -a, [(3,)]),
    ("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [(3, 4)]),
    ("exp", F.exp, T and T.exp, [(3, 4)]),
    ("abs", F.abs, T and T.abs, [(11,)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [(4, 5)]),
    ("clamp_min", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [(4, 5)]),
    ("maximum", F.maximum, T and T.maximum, [(4, 5), (5,)]),
    ("minimum", F.minimum, T and T.minimum, [(4, 5), (4, 5)]),
    ("where", lambda a, b: F.where(a.data > 0, a, b), lambda a, b: T.where(a > 0, a, b),
     [(3, 4), (4,)]),
]

POSITIVE = [
    ("log", F.log, T and T.log, [(3, 4)]),
    ("sqrt", F.sqrt, T and T.sqrt, [(3, 4)]),
    ("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, [(3, 4), (3, 4)]),
]

REDUCE = [
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [(3, 4)]),
    ("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(3, 4, 5)]),
    ("sum_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
     lambda a: a.sum(dim=(0, 2), keepdim=True), [(3, 4, 5)]),
    ("sum_torch_names", lambda a: a.sum(dim=-1, keepdim=True), lambda a: a.sum(-1, keepdim=True),
     [(3, 4)]),
    ("mean", lambda a: a.mean(axis=0), lambda a: a.mean(dim=0), [(6, 7)]),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(5, 6)]),
    ("min_all", lambda a: a.min(), lambda a: a.amin(), [(5, 6)]),
    ("var", lambda a: a.var(axis=1), lambda a: a.var(dim=1), [(4, 9)]),
    ("var_population", lambda a: a.var(axis=0, correction=0, keepdims=True),
     lambda a: a.var(dim=0, correction=0, keepdim=True), [(4, 9)]),
    ("std", lambda a: a.std(), lambda a: a.std(), [(4, 9)]),
    ("logsumexp", lambda a: a.logsumexp(axis=1), lambda a: a.logsumexp(dim=1), [(4, 9)]),
]

SHAPE = [
    ("reshape", lambda a: a.reshape(4, 3) * 1, lambda a: a.reshape(4, 3) * 1, [(3, 4)]),
    ("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    ("T", lambda a: a.T @ a, lambda a: a.T @ a, [(3, 4)]),
    ("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    ("squeeze_unsqueeze", lambda a: a.unsqueeze(1).squeeze(), lambda a: a.unsqueeze(1).squeeze(),
     [(3, 4)]),
    ("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [(2, 3, 4)]),
    ("expand", lambda a: a.expand(3, 4, 5), lambda a: a.expand(3, 4, 5), [(4, 1)]),
    ("slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(4, 6)]),
    ("int_index", lambda a: a[2], lambda a: a[2], [(4, 6)]),
    ("fancy_index_repeats", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [(4, 3)]),
    ("bool_mask", lambda a: a[a.data > 0], lambda a: a[a > 0], [(4, 3)]),
    ("cat", lambda a, b: F.cat([a, b, a], dim=1), lambda a, b: T.cat([a, b, a], dim=1),
     [(2, 3), (2, 5)]),
    ("stack", lambda a, b: F.stack([a, b], dim=1), lambda a, b: T.stack([a, b], dim=1),
     [(2, 3), (2, 3)]),
    ("stack_last_dim", lambda a, b: F.stack([a, b, a], dim=-1),
     lambda a, b: T.stack([a, b, a], dim=-1), [(2, 3), (2, 3)]),
    ("split", lambda a: F.cat(a.split(2, dim=1)[::-1], 1), lambda a: T.cat(a.split(2, 1)[::-1], 1),
     [(3, 5)]),
    ("split_sections", lambda a: a.split([1, 3], dim=0)[1], lambda a: a.split([1, 3], 0)[1],
     [(4, 2)]),
    ("chunk", lambda a: a.chunk(3, dim=1)[2], lambda a: a.chunk(3, 1)[2], [(2, 7)]),
    ("pad", lambda a: F.pad(a, (1, 2, 0, 3), value=0.5),
     lambda a: T.nn.functional.pad(a, (1, 2, 0, 3), value=0.5), [(2, 3)]),
    ("gather", lambda a: a.gather(1, np.array([[0, 2, 2], [1, 1, 0]])),
     lambda a: a.gather(1, T.tensor([[0, 2, 2], [1, 1, 0]])), [(2, 4)]),
    ("scatter_add", lambda a, s: a.scatter_add(0, np.array([[1, 0, 1], [1, 1, 0]]), s),
     lambda a, s: a.scatter_add(0, T.tensor([[1, 0, 1], [1, 1, 0]]), s), [(2, 3), (2, 3)]),
]

LINALG = [
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)]),
    ("matmul_vec", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)]),
    ("vec_matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 5)]),
    ("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    ("matmul_shared", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    ("matmul_shared_left", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (2, 4, 5)]),
    ("matmul_4d_broadcast", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    ("linear", lambda x, w, b: F.linear(x, w, b), T and T.nn.functional.linear,
     [(5, 4), (3, 4), (3,)]),
    ("linear_3d", lambda x, w: F.linear(x, w), T and T.nn.functional.linear, [(2, 5, 4), (3, 4)]),
    ("linear_relu", lambda x, w, b: F.linear(x, w, b, activation="relu"),
     lambda x, w, b: T.relu(T.nn.functional.linear(x, w, b)), [(6, 4), (3, 4), (3,)]),
    ("linear_sigmoid", lambda x, w, b: F.linear(x, w, b, activation="sigmoid"),
     lambda x, w, b: T.sigmoid(T.nn.functional.linear(x, w, b)), [(6, 4), (3, 4), (3,)]),
    ("linear_tanh", lambda x, w, b: F.linear(x, w, b, activation="tanh"),
     lambda x, w, b: T.tanh(T.nn.functional.linear(x, w, b)), [(6, 4), (3, 4), (3,)]),
]


@pytest.mark.parametrize("shapes", [[(6, 4), (3, 4), (3,)], [(2, 5, 4), (3, 4)]])
def test_linear_with_fused_gelu(shapes):
    # The forward's GELU is the GEMM epilogue's; the backward's derivative uses
    # the erfc of F.gelu (relative error < 1.2e-7), hence float64 to ~1e-7.
    tolerances = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-6, atol=1e-7)}
    check_op(lambda x, w, *b: F.linear(x, w, *b, activation="gelu"),
             T and (lambda x, w, *b: T.nn.functional.gelu(T.nn.functional.linear(x, w, *b))),
             shapes, low=-3, high=3, tolerances=tolerances)


@pytest.mark.parametrize("name,ours,theirs,shapes", ELEMENTWISE + REDUCE + SHAPE + LINALG,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_op(name, ours, theirs, shapes):
    check_op(ours, theirs, shapes)


@pytest.mark.parametrize("name,ours,theirs,shapes", POSITIVE, ids=lambda v: v if isinstance(v, str) else "")
def test_op_on_positive_inputs(name, ours, theirs, shapes):
    check_op(ours, theirs, shapes, low=0.3, high=2.0)


def test_max_splits_gradient_between_ties():
    a = rb.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    a.max().backward()
    np.testing.assert_array_equal(a.grad.data, [0, 0.5, 0.5, 0])


def test_dtypes_are_kept():
    x = rb.ones(2, 3)
    assert x.dtype == np.float32
    assert (x * 2.0 + 1).dtype == np.float32
    assert (x / np.float64(3)).dtype == np.float32
    assert x.double().sum().dtype == np.float64


def test_mixed_float_dtypes_name_both_operands():
    with pytest.raises(TypeError, match=r"float32 \(shape \(2, 3\)\) and float64 \(shape \(3,\)\)"):
        rb.ones(2, 3) + rb.ones(3, dtype=np.float64)


def test_shape_mismatches_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(2,3\).*\(4,\)|\(2, 3\).*\(4,\)"):
        rb.ones(2, 3) + rb.ones(4)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        rb.ones(2, 3) @ rb.ones(4, 5)
    with pytest.raises(ValueError, match=r"input of shape \(2, 3\).*weight of shape \(4, 5\)"):
        F.linear(rb.ones(2, 3), rb.ones(4, 5))
    with pytest.raises(ValueError, match="cannot reshape a tensor of shape"):
        rb.ones(2, 3).reshape(4, 2)


def test_comparisons_give_boolean_tensors_without_a_graph():
    a = rb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = a > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((a == 2.0).data, [False, True, False])


def test_bad_indices_and_axes_raise():
    with pytest.raises(IndexError):
        rb.ones(2, 3).sum(axis=2)
    with pytest.raises(IndexError):
        rb.ones(2, 3).gather(1, np.array([[0, 3, 1], [0, 0, 0]]))
    with pytest.raises(TypeError):
        rb.ones(2, 3).gather(1, np.zeros((2, 3)))
    with pytest.raises(ValueError):
        rb.ones(2, 3).split([1, 2], dim=0)
    with pytest.raises(ValueError):
        F.cat([rb.ones(2, 3), rb.ones(3, 3)], dim=1)
    with pytest.raises(ValueError, match="one shape"):
        F.stack([rb.ones(2, 3), rb.ones(3, 2)])
    with pytest.raises(TypeError, match="float32 and float64 differ"):
        F.stack([rb.ones(2, 3, dtype=np.float32), rb.ones(2, 3, dtype=np.float64)])
