"""Multilayer perceptrons: a classifier and a regressor.

Each hidden layer is Linear -> [BatchNorm1d] -> activation -> [Dropout]. The
layers live in ``self.layers`` (an ``nn.Sequential``), so parameter names are
PyTorch's for the same stack ('layers.0.weight', ...). A Linear followed
directly by ReLU, Sigmoid or Tanh runs as ONE fused GEMM whose epilogue
applies the bias and the activation (``F.linear(..., activation=...)``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.tensor import Tensor

ACTIVATIONS = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "selu": nn.SELU, "gelu": nn.GELU, "softplus": nn.Softplus, "prelu": nn.PReLU,
}
FUSABLE = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
INITS = ("default", "kaiming", "xavier", "orthogonal", "normal")


def _initialize(linear: nn.Linear, init: str, activation: str) -> None:
    if init == "default":
        return  # PyTorch's own Linear initialization
    gain_name = activation if activation in ("relu", "tanh", "sigmoid", "selu", "leaky_relu") \
        else "linear"
    if init == "kaiming":
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu" if gain_name == "relu"
                                else "leaky_relu" if gain_name == "leaky_relu" else "linear")
    elif init == "xavier":
        nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain(gain_name))
    elif init == "orthogonal":
        nn.init.orthogonal_(linear.weight, gain=nn.init.calculate_gain(gain_name))
    else:
        nn.init.normal_(linear.weight, 0.0, 0.01)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)


class _MLP(nn.Module):
    def __init__(self, in_features: int, hidden_sizes: Sequence[int], out_features: int, *,
                 activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False,
                 init: str = "default", dtype=np.float32) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        sizes = [in_features, *hidden_sizes]
        if any(int(s) < 1 for s in sizes + [out_features]):
            raise ValueError(f"layer sizes must be >= 1, got {sizes + [out_features]}")
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            linear = nn.Linear(fan_in, fan_out, dtype=dtype)
            _initialize(linear, init, activation)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out, dtype=dtype))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
        head = nn.Linear(sizes[-1], out_features, dtype=dtype)
        _initialize(head, init, "linear")
        layers.append(head)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        modules = list(self.layers)
        i = 0
        while i < len(modules):
            module = modules[i]
            following = modules[i + 1] if i + 1 < len(modules) else None
            if isinstance(module, nn.Linear) and type(following) in FUSABLE:
                x = F.linear(x, module.weight, module.bias, activation=FUSABLE[type(following)])
                i += 2
            else:
                x = module(x)
                i += 1
        return x


class MLPClassifier(_MLP):
    """An MLP whose output is (N, num_classes) logits, trained with cross-entropy."""

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], num_classes: int,
                 **options) -> None:
        super().__init__(in_features, hidden_sizes, num_classes, **options)
        self.num_classes = num_classes

    def loss(self, logits: Tensor, y) -> Tensor:
        return F.cross_entropy(logits, y)

    def predict(self, x: Tensor) -> np.ndarray:
        from rosenblatt.autograd import no_grad

        was_training = self.training
        self.eval()
        with no_grad():
            out = self(x).data.argmax(1)
        self.train(was_training)
        return out


class MLPRegressor(_MLP):
    """An MLP with ``out_features`` linear outputs, trained with the mean squared error."""

    def loss(self, prediction: Tensor, y) -> Tensor:
        return F.mse_loss(prediction, y)
