"""Knowledge-distillation loss (Hinton, Vinyals and Dean, 2015).

With student logits s, teacher logits t (both (N, C)), integer labels y,
temperature T and weight alpha::

    p = softmax(t / T),   q = softmax(s / T)
    loss = alpha * T^2 * KL(p || q)  +  (1 - alpha) * cross_entropy(s, y)

KL is summed over classes and averaged over the batch ('batchmean'). The
gradient of the soft term with respect to s is alpha * T * (q - p) / N, so
the T^2 factor keeps its size comparable with the hard term whatever T is.
The teacher is a constant: no gradient flows into ``teacher_logits``.
"""

from __future__ import annotations

import math

from rosenblatt.functional import activation
from rosenblatt.functional.loss import cross_entropy, kl_div
from rosenblatt.tensor import Tensor


def distillation_loss(student_logits: Tensor, teacher_logits, target, temperature: float = 2.0,
                      alpha: float = 0.5) -> Tensor:
    """``alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)`` (see module doc).

    ``student_logits`` and ``teacher_logits`` are (N, C); ``target`` holds N
    class indices. ``alpha`` in [0, 1] weighs the soft (teacher) term.
    """
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) \
            or temperature <= 0:
        raise ValueError(f"distillation_loss: temperature must be a finite number > 0, "
                         f"got {temperature!r}")
    if not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha!r}")
    teacher = teacher_logits.data if isinstance(teacher_logits, Tensor) else teacher_logits
    teacher = Tensor(teacher).to(dtype=student_logits.dtype)
    if student_logits.ndim != 2 or teacher.shape != student_logits.shape:
        raise ValueError(f"distillation_loss: student_logits must be (N, C) and teacher_logits "
                         f"the same shape, got {student_logits.shape} and {teacher.shape}")
    t = float(temperature)
    log_q = activation.log_softmax(student_logits / t, 1)
    p = activation.softmax(teacher / t, 1)
    soft = kl_div(log_q, p, reduction="batchmean") * (t * t)
    if alpha == 1.0:
        return soft * alpha
    hard = cross_entropy(student_logits, target)
    return soft * alpha + hard * (1.0 - alpha)
