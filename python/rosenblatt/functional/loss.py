"""Loss functions, with PyTorch's names, arguments and reductions.

``reduction`` is 'mean' (the default), 'sum' or 'none'. Cross-entropy runs the
fused native kernel, which returns the loss and d loss / d logits in one pass
over the logits; its backward only scales that saved gradient.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import kernels
from rosenblatt.autograd import Function
from rosenblatt.functional import activation, elementwise as ew, shape
from rosenblatt.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: str, extra: tuple = ()) -> None:
    if reduction not in REDUCTIONS + extra:
        raise ValueError(f"reduction must be one of {REDUCTIONS + extra}, got {reduction!r}")


def _check_same_shape(input: Tensor, target, name: str) -> Tensor:
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise ValueError(f"{name}: input has shape {input.shape} but target has shape "
                         f"{target.shape}; they must match")
    if target.dtype != input.dtype and target.dtype.kind == "f":
        raise TypeError(f"{name}: input dtype {input.dtype} and target dtype {target.dtype} differ")
    return target


def _labels(target, name: str) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name}: class-index targets must be integers, got {labels.dtype}")
    return labels


class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, logits, labels, reduction, label_smoothing, ignore_index):
        loss, grad = kernels.cross_entropy(logits, labels, reduction=reduction,
                                           label_smoothing=label_smoothing,
                                           ignore_index=ignore_index)
        ctx.save_for_backward(grad)
        ctx.per_row = reduction == "none"
        return np.asarray(loss, dtype=logits.dtype)

    @staticmethod
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        return grad * (g[:, None] if ctx.per_row else g)


def cross_entropy(input: Tensor, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...) and class indices ``target``.

    A float ``target`` of the input's shape is read as class probabilities.
    ``weight`` (per-class rescaling) is not supported by the fused kernel and
    raises.
    """
    _check_reduction(reduction)
    if weight is not None:
        raise ValueError("cross_entropy: per-class weight is not supported; "
                         "use nll_loss(log_softmax(x), target, weight=...)")
    if input.ndim < 1:
        raise ValueError("cross_entropy: input must have a class dimension, got a scalar")
    if isinstance(target, Tensor) and target.dtype.kind == "f" or (
            not isinstance(target, Tensor) and np.asarray(target).dtype.kind == "f"):
        target = _check_same_shape(input, target, "cross_entropy")
        classes = input.shape[1] if input.ndim > 1 else input.shape[0]
        smoothed = target * (1 - label_smoothing) + label_smoothing / classes
        loss = -(activation.log_softmax(input, 1 if input.ndim > 1 else 0) * smoothed).sum(
            1 if input.ndim > 1 else 0)
        return _reduce(loss, reduction)
    labels = _labels(target, "cross_entropy")
    if input.ndim == 1:  # one sample without a batch dimension
        return cross_entropy(input.reshape(1, -1), labels.reshape(1), None, ignore_index,
                             reduction, label_smoothing).reshape(())
    if input.ndim > 2:  # (N, C, d1, ...) -> rows of C logits
        if labels.shape != (input.shape[0],) + input.shape[2:]:
            raise ValueError(f"cross_entropy: target of shape {labels.shape} does not match "
                             f"input of shape {input.shape}")
        moved = input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])
        loss = cross_entropy(moved, labels.reshape(-1), None, ignore_index, reduction,
                             label_smoothing)
        return loss.reshape(labels.shape) if reduction == "none" else loss
    if labels.shape != (input.shape[0],):
        raise ValueError(f"cross_entropy: target has shape {labels.shape}, expected "
                         f"({input.shape[0]},) for input of shape {input.shape}")
    return CrossEntropy.apply(input, labels, reduction, float(label_smoothing), int(ignore_index))


def nll_loss(input: Tensor, target, weight=None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (optionally times weight[target[n]]), for log-probabilities (N, C)."""
    _check_reduction(reduction)
    labels = _labels(target, "nll_loss")
    if input.ndim != 2 or labels.shape != (input.shape[0],):
        raise ValueError(f"nll_loss: expected input (N, C) and target (N,), got {input.shape} "
                         f"and {labels.shape}")
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    if keep.any() and (safe.min() < 0 or safe.max() >= input.shape[1]):
        raise ValueError(f"nll_loss: target values must be in [0, {input.shape[1]})")
    w = np.ones(input.shape[0], dtype=input.dtype) * keep
    if weight is not None:
        w = w * np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                           dtype=input.dtype)[safe]
    picked = shape.gather(input, 1, safe[:, None]).reshape(-1)
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / input.dtype.type(w.sum())
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    diff = input - _check_same_shape(input, target, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    return _reduce(ew.abs(input - _check_same_shape(input, target, "l1_loss")), reduction)


class BinaryCrossEntropy(Function):
    """-(t log p + (1 - t) log(1 - p)), logs clamped at -100 as torch; d/dp = (p - t) / (p (1 - p))."""

    @staticmethod
    def forward(ctx, p, t):
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1]")
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log1p(-p), -100)
        ctx.save_for_backward(p, t)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        return g * (p - t) / np.maximum(p * (1 - p), p.dtype.type(1e-12)), None


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    target = _check_same_shape(input, target, "binary_cross_entropy")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x) computed stably: (1 - t) x + (1 + (w - 1) t) log(1 + exp(-x)).

    With w the positive-class weight; d/dx = (1 + (w - 1) t) sigmoid(x) - w t.
    """

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        log_sigmoid_neg = np.logaddexp(0, -x)  # log(1 + exp(-x)) = -log sigmoid(x)
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        ctx.save_for_backward(x, t)
        ctx.pos_weight = pos_weight
        return ((1 - t) * x + scale * log_sigmoid_neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        sig = 0.5 * np.tanh(0.5 * x) + 0.5
        if ctx.pos_weight is None:
            return g * (sig - t), None, None
        w = ctx.pos_weight
        return g * ((1 + (w - 1) * t) * sig - w * t), None, None


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    _check_reduction(reduction)
    target = _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    if pos_weight is not None:
        pos_weight = np.asarray(pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight,
                                dtype=input.dtype)
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def hinge_loss(input: Tensor, target, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """max(0, margin - y s) for scores ``input`` and labels ``target`` in {-1, +1} (the SVM loss)."""
    _check_reduction(reduction)
    target = _check_same_shape(input, target, "hinge_loss")
    if target.data.size and not np.isin(target.data, (-1, 1)).all():
        raise ValueError("hinge_loss: target values must be -1 or +1")
    return _reduce(activation.relu(margin - input * target), reduction)


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0,
                      reduction: str = "mean") -> Tensor:
    """sum_{j != y} max(0, margin - s_y + s_j)^p / C per row: the multi-class hinge (torch's)."""
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    labels = _labels(target, "multi_margin_loss")
    if input.ndim != 2 or labels.shape != (input.shape[0],):
        raise ValueError(f"multi_margin_loss: expected input (N, C) and target (N,), got "
                         f"{input.shape} and {labels.shape}")
    correct = shape.gather(input, 1, labels[:, None])
    margins = activation.relu(margin - correct + input)
    if p == 2:
        margins = margins * margins
    others = np.ones(input.shape, dtype=input.dtype)
    others[np.arange(input.shape[0]), labels] = 0
    return _reduce((margins * others).sum(1) / input.dtype.type(input.shape[1]), reduction)


def kl_div(input: Tensor, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """sum target (log target - input) for log-probabilities ``input`` (torch.nn.functional.kl_div).

    'batchmean' divides the sum by the batch size (the true KL divergence per
    sample); 'mean' divides by the number of elements, as torch does.
    """
    _check_reduction(reduction, ("batchmean",))
    target = _check_same_shape(input, target, "kl_div")
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        positive = target.data > 0
        safe_log = np.log(np.where(positive, target.data, 1))
        log_t = Tensor(safe_log) if not target.requires_grad else ew.log(
            ew.where(positive, target, 1.0))
        loss = ew.where(positive, target * (log_t - input), 0.0)
    if reduction == "batchmean":
        return loss.sum() / input.dtype.type(input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
