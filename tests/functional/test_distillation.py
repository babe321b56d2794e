"""Knowledge-distillation loss: value, gradients, weighting and a student that learns from a teacher."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import functional as F
from rosenblatt.autograd import gradcheck


def reference(s, t, y, T, alpha):
    """float64 NumPy: alpha T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) CE(s, y)."""
    def log_softmax(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    log_p, log_q = log_softmax(t / T), log_softmax(s / T)
    kl = (np.exp(log_p) * (log_p - log_q)).sum(1).mean()
    ce = -log_softmax(s)[np.arange(len(y)), y].mean()
    return alpha * T * T * kl + (1 - alpha) * ce


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,alpha", [(1.0, 0.5), (4.0, 0.9), (2.0, 0.0), (3.0, 1.0)])
def test_matches_the_reference(dtype, T, alpha):
    rng = np.random.default_rng(0)
    s, t = rng.standard_normal((7, 5)) * 3, rng.standard_normal((7, 5)) * 3
    y = rng.integers(0, 5, 7)
    loss = F.distillation_loss(rb.Tensor(s.astype(dtype)), rb.Tensor(t.astype(dtype)), y,
                               temperature=T, alpha=alpha)
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.item(), reference(s, t, y, T, alpha),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    s, t, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    ours = rb.Tensor(s, requires_grad=True)
    loss = F.distillation_loss(ours, t, y, temperature=3.0, alpha=0.7)
    loss.backward()
    theirs = torch.tensor(s, requires_grad=True)
    tf = torch.nn.functional
    expected = 0.7 * 9.0 * tf.kl_div(tf.log_softmax(theirs / 3, 1), tf.softmax(
        torch.tensor(t) / 3, 1), reduction="batchmean") + 0.3 * tf.cross_entropy(
        theirs, torch.tensor(y))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradcheck_and_no_gradient_into_the_teacher():
    rng = np.random.default_rng(2)
    s = rb.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = rb.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = np.array([0, 3, 1])
    assert gradcheck(lambda a: F.distillation_loss(a, t, y, temperature=2.5, alpha=0.6), [s])
    F.distillation_loss(s, t, y).backward()
    assert t.grad is None


def test_soft_gradient_is_T_times_q_minus_p():
    """With the T^2 factor, d soft / d s = T (q - p) / N."""
    rng = np.random.default_rng(3)
    s, t = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    for T in (1.0, 5.0):
        student = rb.Tensor(s, requires_grad=True)
        F.distillation_loss(student, t, None, temperature=T, alpha=1.0).backward()
        q = np.exp(s / T) / np.exp(s / T).sum(1, keepdims=True)
        p = np.exp(t / T) / np.exp(t / T).sum(1, keepdims=True)
        np.testing.assert_allclose(student.grad.data, T * (q - p) / 4, rtol=1e-10, atol=1e-12)


def test_a_small_student_learns_from_a_teachers_soft_labels():
    """A linear student distilled from a teacher on few labels beats the same student on hard labels."""
    rng = np.random.default_rng(0)
    X, y = rb.data.load_digits()
    X = (X / 16).astype(np.float32)
    teacher_w = np.linalg.lstsq(X, np.eye(10)[y] * 8 - 4, rcond=None)[0].astype(np.float32)
    few = rng.choice(len(X), 60, replace=False)
    rest = np.setdiff1d(np.arange(len(X)), few)

    def fit(alpha):
        rb.manual_seed(0)
        student = rb.nn.Linear(64, 10)
        optimizer = rb.optim.Adam(student.parameters(), lr=0.05)
        for _ in range(150):
            optimizer.zero_grad()
            logits = student(rb.Tensor(X[few]))
            F.distillation_loss(logits, X[few] @ teacher_w, y[few], temperature=4.0,
                                alpha=alpha).backward()
            optimizer.step()
        with rb.no_grad():
            return float((student(rb.Tensor(X[rest])).data.argmax(1) == y[rest]).mean())

    hard, distilled = fit(0.0), fit(0.9)
    print(f"student on 60 labels: hard {hard:.3f}, distilled {distilled:.3f}")
    assert distilled > hard + 0.02


def test_bad_arguments_raise_naming_them():
    s, t = rb.randn(2, 3), rb.randn(2, 3)
    with pytest.raises(ValueError, match="temperature"):
        F.distillation_loss(s, t, [0, 1], temperature=0)
    with pytest.raises(ValueError, match="alpha"):
        F.distillation_loss(s, t, [0, 1], alpha=1.5)
    with pytest.raises(ValueError, match="same shape"):
        F.distillation_loss(s, rb.randn(2, 4), [0, 1])
