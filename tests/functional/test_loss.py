"""Losses against torch: values and gradients; float64 gradcheck; bad input."""

import numpy as np
import pytest
from helpers import check_op, needs_torch, torch

import rosenblatt as rb
import rosenblatt.functional as F
from rosenblatt.autograd import gradcheck

TF = torch and torch.nn.functional
LABELS = np.array([0, 3, 1, 1, 2])
TARGET = np.random.default_rng(5).random((5, 4))
SIGNS = np.where(np.random.default_rng(6).random((5, 4)) > 0.5, 1.0, -1.0)


def t(a):
    return torch.tensor(a)


CASES = [
    ("cross_entropy", lambda x: F.cross_entropy(x, LABELS), lambda x: TF.cross_entropy(x, t(LABELS))),
    ("cross_entropy_smooth_sum", lambda x: F.cross_entropy(x, LABELS, reduction="sum", label_smoothing=0.2),
     lambda x: TF.cross_entropy(x, t(LABELS), reduction="sum", label_smoothing=0.2)),
    ("cross_entropy_none", lambda x: F.cross_entropy(x, LABELS, reduction="none"),
     lambda x: TF.cross_entropy(x, t(LABELS), reduction="none")),
    ("cross_entropy_ignore", lambda x: F.cross_entropy(x, np.array([0, -100, 1, 1, 2])),
     lambda x: TF.cross_entropy(x, t(np.array([0, -100, 1, 1, 2])))),
    ("cross_entropy_probabilities", lambda x: F.cross_entropy(x, TARGET.astype(x.dtype)),
     lambda x: TF.cross_entropy(x, t(TARGET).to(x.dtype))),
    ("nll_loss", lambda x: F.nll_loss(F.log_softmax(x, 1), LABELS),
     lambda x: TF.nll_loss(TF.log_softmax(x, 1), t(LABELS))),
    ("nll_loss_weight", lambda x: F.nll_loss(x, LABELS, weight=np.array([1.0, 2.0, 0.5, 3.0])),
     lambda x: TF.nll_loss(x, t(LABELS), weight=t(np.array([1.0, 2.0, 0.5, 3.0])).to(x.dtype))),
    ("mse_loss", lambda x: F.mse_loss(x, TARGET.astype(x.dtype)),
     lambda x: TF.mse_loss(x, t(TARGET).to(x.dtype))),
    ("l1_loss_sum", lambda x: F.l1_loss(x, TARGET.astype(x.dtype), reduction="sum"),
     lambda x: TF.l1_loss(x, t(TARGET).to(x.dtype), reduction="sum")),
    ("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x, TARGET.astype(x.dtype)),
     lambda x: TF.binary_cross_entropy_with_logits(x, t(TARGET).to(x.dtype))),
    ("bce_with_logits_pos_weight",
     lambda x: F.binary_cross_entropy_with_logits(x, TARGET.astype(x.dtype), pos_weight=np.full(4, 3.0)),
     lambda x: TF.binary_cross_entropy_with_logits(x, t(TARGET).to(x.dtype), pos_weight=torch.full((4,), 3.0, dtype=x.dtype))),
    ("bce", lambda x: F.binary_cross_entropy(F.sigmoid(x), TARGET.astype(x.dtype)),
     lambda x: TF.binary_cross_entropy(torch.sigmoid(x), t(TARGET).to(x.dtype))),
    ("multi_margin", lambda x: F.multi_margin_loss(x, LABELS), lambda x: TF.multi_margin_loss(x, t(LABELS))),
    ("multi_margin_p2", lambda x: F.multi_margin_loss(x, LABELS, p=2, margin=0.5),
     lambda x: TF.multi_margin_loss(x, t(LABELS), p=2, margin=0.5)),
    ("hinge", lambda x: F.hinge_loss(x, SIGNS.astype(x.dtype)),
     lambda x: torch.clamp(1 - x * t(SIGNS).to(x.dtype), min=0).mean()),
    ("kl_div_batchmean", lambda x: F.kl_div(F.log_softmax(x, 1), TARGET.astype(x.dtype) / 2, reduction="batchmean"),
     lambda x: TF.kl_div(TF.log_softmax(x, 1), t(TARGET).to(x.dtype) / 2, reduction="batchmean")),
    ("kl_div_log_target", lambda x: F.kl_div(F.log_softmax(x, 1), np.log(TARGET).astype(x.dtype), reduction="sum", log_target=True),
     lambda x: TF.kl_div(TF.log_softmax(x, 1), t(np.log(TARGET)).to(x.dtype), reduction="sum", log_target=True)),
]


@pytest.mark.parametrize("name,ours,theirs", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_loss(name, ours, theirs):
    check_op(ours, theirs, [(5, 4)], low=-3, high=3)


@needs_torch
def test_cross_entropy_over_spatial_positions():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    labels = np.random.default_rng(1).integers(0, 3, (2, 4, 5))
    ours = rb.Tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, labels)
    loss.backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = TF.cross_entropy(theirs, t(labels))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_kl_div_target_gradient():
    target = rb.Tensor(TARGET / TARGET.sum(1, keepdims=True), requires_grad=True)
    logp = rb.Tensor(np.log(np.full((5, 4), 0.25)), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), [logp, target])


def test_bad_input_names_the_problem():
    x = rb.ones(5, 4)
    with pytest.raises(ValueError, match=r"target has shape \(4,\)"):
        F.cross_entropy(x, np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="label"):
        F.cross_entropy(x, np.array([0, 1, 2, 3, 4]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(x, np.zeros(5, dtype=np.float32).astype(object))
    with pytest.raises(ValueError, match=r"input has shape \(5, 4\) but target has shape \(4,\)"):
        F.mse_loss(x, rb.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, rb.ones(5, 4), reduction="avg")
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(x * 2, rb.ones(5, 4))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        F.hinge_loss(x, rb.zeros(5, 4))
