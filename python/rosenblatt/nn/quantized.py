"""Int8 weight quantization of Linear layers (per-output-channel, symmetric).

Each row j of a Linear weight W (out, in) is stored as int8 values q_j and
one float scale s_j::

    s_j = max_k |W_jk| / 127        (1 for an all-zero row)
    q_jk = clip(round(W_jk / s_j), -127, 127)

so |W_jk - s_j q_jk| <= s_j / 2. The matmul dequantizes on the fly::

    y_j = sum_k x_k (s_j q_jk) + b_j,

which is what the layer computes: its int8 weight is expanded to s_j q_jk in
the input's dtype for one call of our GEMM (with the bias fused), and
dropped after it; only the int8 values and the scales are kept. The
state_dict holds ``weight_int8``, ``weight_scale`` and ``bias``: about a
quarter of the float32 size.
:func:`quantize_linear_layers` swaps every Linear of a model in place.
"""

from __future__ import annotations

import numpy as np

from rosenblatt import functional as F
from rosenblatt.nn.linear import Linear
from rosenblatt.nn.module import Module
from rosenblatt.tensor import Tensor

__all__ = ["QuantizedLinear", "dequantize_per_channel", "quantize_linear_layers",
           "quantize_per_channel"]

QMAX = 127


def quantize_per_channel(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values (out, in), float scales (out,)) of a float weight, symmetric per row."""
    weight = np.asarray(weight)
    if weight.ndim != 2 or weight.dtype.kind != "f":
        raise ValueError(f"weight must be a 2-D float array (out, in), got {weight.dtype} "
                         f"{weight.shape}")
    if not np.isfinite(weight).all():
        raise ValueError("weight has NaN or inf entries; they cannot be quantized")
    peak = np.abs(weight).max(axis=1) if weight.shape[1] else np.zeros(weight.shape[0])
    scale = np.where(peak > 0, peak / QMAX, 1.0).astype(weight.dtype)
    q = np.clip(np.rint(weight / scale[:, None]), -QMAX, QMAX).astype(np.int8)
    return q, scale


def dequantize_per_channel(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The float weight s_j q_jk that an int8 weight stands for."""
    return q.astype(scale.dtype) * scale[:, None]


class QuantizedLinear(Module):
    """A Linear layer for inference whose weight is int8 with one scale per output channel.

    Build it with :meth:`from_float`. Its buffers (the state_dict) are
    ``weight_int8`` (int8, (out, in)), ``weight_scale`` ((out,), the float
    dtype of the original layer) and ``bias`` ((out,), or absent).
    ``weight`` reads as the dequantized float weight s_j q_jk (no gradient),
    so code that takes a Linear's ``weight`` and ``bias`` to fuse them into
    its own GEMM (attention's output projection, a transformer's
    feed-forward with its fused ReLU) runs unchanged on a quantized layer.
    It has no trainable parameters; the input gradient still flows through it.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=np.float32) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype)
        self.register_buffer("weight_int8", Tensor(np.zeros((self.out_features,
                                                             self.in_features), np.int8)))
        self.register_buffer("weight_scale", Tensor(np.ones(self.out_features, dtype)))
        self.register_buffer("bias", Tensor(np.zeros(self.out_features, dtype)) if bias else None)

    @classmethod
    def from_float(cls, linear: Linear) -> QuantizedLinear:
        """Quantize a Linear's weight (its bias stays in floating point)."""
        if not isinstance(linear, Linear):
            raise TypeError(f"from_float needs an rb.nn.Linear, got {type(linear).__name__}")
        layer = cls(linear.in_features, linear.out_features, linear.bias is not None,
                    linear.weight.dtype)
        q, scale = quantize_per_channel(linear.weight.data)
        layer.weight_int8.data[...] = q
        layer.weight_scale.data[...] = scale
        if linear.bias is not None:
            layer.bias.data[...] = linear.bias.data
        return layer

    @property
    def weight(self) -> Tensor:
        """The dequantized weight s_j q_jk, (out, in), in the layer's float dtype."""
        return Tensor(dequantize_per_channel(self.weight_int8.data, self.weight_scale.data))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.dtype != self.weight_scale.dtype:
            raise TypeError(f"QuantizedLinear: input dtype {input.dtype} does not match the "
                            f"layer's {self.weight_scale.dtype}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, dtype=int8")


def quantize_linear_layers(model: Module) -> list[str]:
    """Replace every Linear submodule of ``model`` by its :class:`QuantizedLinear`, in place.

    Returns the replaced names. A bare Linear cannot replace itself: use
    :meth:`QuantizedLinear.from_float` for that. (A ``MultiheadAttention``'s
    ``in_proj_weight`` is not a Linear layer and stays in floating point; its
    ``out_proj`` is quantized.)
    """
    if isinstance(model, Linear):
        raise TypeError("quantize_linear_layers: model is itself a Linear; "
                        "use QuantizedLinear.from_float(model)")
    replaced = []
    for name, module in list(model.named_modules()):
        if isinstance(module, Linear):
            parent_name, _, child = name.rpartition(".")
            model.get_submodule(parent_name)._modules[child] = QuantizedLinear.from_float(module)
            replaced.append(name)
    if not replaced:
        raise ValueError(f"quantize_linear_layers: {type(model).__name__} has no Linear layer")
    return replaced
