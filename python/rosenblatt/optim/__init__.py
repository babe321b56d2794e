"""Optimizers, learning-rate schedules and gradient clipping (torch.optim's API).

Each optimizer's ``step()`` updates a whole param group with ONE call of the
fused native kernel of :mod:`rosenblatt.kernels` (``sgd_``, ``adam_`` ...),
in place on the parameters' arrays.

- :class:`SGD` (momentum, Nesterov, weight decay, gradient noise),
  :class:`Adagrad`, :class:`Adadelta`, :class:`RMSprop`, :class:`Adam`
  (AMSGrad), :class:`AdamW`; the base class :class:`Optimizer`
- :mod:`rosenblatt.optim.lr_scheduler`: StepLR, ExponentialLR, InverseTimeLR,
  InverseSqrtLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR,
  ChainedScheduler
- :func:`clip_grad_norm_`, :func:`clip_grad_value_`
"""

from rosenblatt.optim import lr_scheduler
from rosenblatt.optim.adadelta import Adadelta
from rosenblatt.optim.adagrad import Adagrad
from rosenblatt.optim.adam import Adam, AdamW
from rosenblatt.optim.clip import clip_grad_norm_, clip_grad_value_
from rosenblatt.optim.optimizer import Optimizer
from rosenblatt.optim.rmsprop import RMSprop
from rosenblatt.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]
