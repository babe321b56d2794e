"""The graph walk: accumulation, retain_graph, freeing, no_grad, detach, in-place checks, anomalies."""

import sys

import numpy as np
import pytest

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import Function, detect_anomaly, gradcheck


def test_gradients_accumulate_across_backward_calls():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.array([1.0, 2.0]) + 3)


def test_a_tensor_used_twice_gets_both_contributions_and_leaf_grads_are_not_shared():
    x = rb.tensor([1.0, -2.0], requires_grad=True)
    y = rb.tensor([4.0, 5.0], requires_grad=True)
    (x + y + x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2, 2])
    y.grad.data += 1  # must not change x.grad (Add hands one array to both inputs)
    np.testing.assert_allclose(x.grad.data, [2, 2])


def test_non_scalar_backward_needs_a_gradient_of_its_shape():
    x = rb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\)"):
        y.backward(np.ones(2))
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad.data, [2, 0, -2])


def test_graph_is_freed_unless_retained():
    x = rb.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp([1, 2]) * (1 + np.array([1.0, 2.0]))),
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_grad_and_detach_record_nothing():
    x = rb.tensor([1.0], requires_grad=True)
    with rb.no_grad():
        y = x * 2
    assert not y.requires_grad and y.creator is None
    z = x.detach() * 2
    assert not z.requires_grad

    @rb.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad


def test_backward_on_a_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        rb.ones(2).sum().backward()


def test_inplace_change_of_a_saved_array_is_detected():
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    x = rb.tensor([3.0, 4.0])
    y = (w * x).sum()        # Mul saves x for w's gradient
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_inplace_change_of_a_saved_output_is_detected():
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    e = w.exp()              # Exp saves its output
    y = e.sum()
    with rb.no_grad():
        e.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_inplace_change_of_an_unsaved_array_is_allowed():
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    x = rb.tensor([3.0, 4.0])
    y = (w + x).sum()        # Add saves nothing
    x.mul_(2)
    y.backward()
    np.testing.assert_allclose(w.grad.data, [1, 1])


def test_inplace_on_a_tensor_that_requires_grad_is_refused():
    w = rb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w.add_(1)
    with rb.no_grad():
        w.add_(1)
    np.testing.assert_allclose(w.data, [2, 3])


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = rb.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0001 ** (sys.getrecursionlimit() * 3)], rtol=1e-3)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * x * g


def test_user_defined_function_and_gradcheck():
    x = rb.Tensor(np.linspace(-1, 1, 5), requires_grad=True)
    assert gradcheck(Cube.apply, [x])
    with pytest.raises(AssertionError, match="gradcheck failed for input 0"):
        gradcheck(WrongCube.apply, [x])
    assert not gradcheck(WrongCube.apply, [x], raise_exception=False)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(Cube.apply, [rb.ones(3, requires_grad=True)])


def test_detect_anomaly_names_the_op_that_produced_nan():
    x = rb.tensor([-1.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = x * 2
        with pytest.raises(FloatingPointError, match="Log produced NaN"):
            with np.errstate(invalid="ignore"):
                F.log(y)
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.log(x).data[0])  # without the context, NaN flows silently


def test_detect_anomaly_in_backward():
    x = rb.tensor([0.0, 1.0], requires_grad=True)
    y = F.sqrt(x).sum()
    with detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError, match="Sqrt.backward"):
            y.backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        rb.tensor([1, 2], requires_grad=True)


def test_manual_seed_makes_draws_repeatable():
    rb.manual_seed(7)
    a = rb.randn(3, 4).data.copy()
    rb.manual_seed(7)
    np.testing.assert_array_equal(rb.randn(3, 4).data, a)
    with pytest.raises(ValueError):
        rb.manual_seed(-1)


def test_factories():
    assert rb.zeros(2, 3).shape == (2, 3) and rb.zeros((2, 3)).dtype == np.float32
    assert rb.full((2,), 7.0).data.tolist() == [7, 7]
    assert rb.arange(5).dtype == np.int64 and rb.arange(0, 1, 0.25).shape == (4,)
    np.testing.assert_array_equal(rb.eye(3).data, np.eye(3))
    assert rb.tensor([1.5, 2.0]).dtype == np.float32
    assert rb.tensor(np.array([1.5]), dtype=np.float64).dtype == np.float64
    assert rb.tensor([[1.0, 2.0]]).item if True else None
    assert rb.tensor([3.0]).item() == 3.0
    with pytest.raises(ValueError):
        rb.ones(2).item()
