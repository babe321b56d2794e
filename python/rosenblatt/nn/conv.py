"""Convolution layers: Conv1d, Conv2d and ConvTranspose2d with PyTorch's arguments and layouts.

Weights are (out_channels, in_channels / groups, *kernel_size) for Conv1d/2d
and (in_channels, out_channels / groups, kh, kw) for ConvTranspose2d, so a
PyTorch state_dict loads as is. Initialization is PyTorch's:
weight ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and
bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in = weight.shape[1] * prod(kernel_size).
"""

from __future__ import annotations

import math

import numpy as np

from rosenblatt import functional as F
from rosenblatt.functional.conv import conv_transpose_output_size
from rosenblatt.kernels.conv import check_groups, int_tuple
from rosenblatt.nn import init
from rosenblatt.nn.module import Module
from rosenblatt.nn.parameter import Parameter
from rosenblatt.tensor import DEFAULT_DTYPE, Tensor


class _ConvNd(Module):
    """Parameters, initialization and repr shared by the convolution layers."""

    rank = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = int_tuple(in_channels, 1, "in_channels", name, 1)[0]
        self.out_channels = int_tuple(out_channels, 1, "out_channels", name, 1)[0]
        self.groups = check_groups(self.in_channels, self.out_channels, groups, name)
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", name, 1)
        self.stride = int_tuple(stride, self.rank, "stride", name, 1)
        self.dilation = int_tuple(dilation, self.rank, "dilation", name, 1)
        if isinstance(padding, str):
            if self.transposed or padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int or a tuple"
                                 f"{'' if self.transposed else ', same or valid'}, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride {self.stride})")
            self.padding = padding
        else:
            self.padding = int_tuple(padding, self.rank, "padding", name, 0)
        if padding_mode != "zeros":
            raise ValueError(f"{name}: padding_mode must be 'zeros' (the only one implemented), "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            init.fan_in_uniform_(self.bias, fan_in=fan_in)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.rank:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.rank:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * self.rank) != (0,) * self.rank:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution of (N, C_in, L) into (N, C_out, L_out) (:func:`rosenblatt.functional.conv1d`)."""

    rank = 1

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """2-D convolution of (N, C_in, H, W) into (N, C_out, H_out, W_out) (:func:`rosenblatt.functional.conv2d`)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (:func:`rosenblatt.functional.conv_transpose2d`), for decoders.

    ``forward(input, output_size=None)``: an ``output_size`` (H, W) picks the
    output_padding that gives it, as PyTorch.
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = int_tuple(output_padding, 2, "output_padding", "ConvTranspose2d", 0)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        sizes = tuple(output_size)[-2:]
        smallest = tuple(conv_transpose_output_size(s, k, st, p, 0, d) for s, k, st, p, d
                         in zip(input.shape[-2:], self.kernel_size, self.stride, self.padding,
                                self.dilation))
        extra = tuple(int(want) - low for want, low in zip(sizes, smallest))
        if len(sizes) != 2 or any(e < 0 or e >= max(s, d) for e, s, d
                                  in zip(extra, self.stride, self.dilation)):
            raise ValueError(f"ConvTranspose2d: requested output_size {tuple(output_size)} is "
                             f"not reachable from input of shape {input.shape} (smallest "
                             f"{smallest}, at most stride or dilation - 1 larger)")
        return extra

    def forward(self, input: Tensor, output_size=None) -> Tensor:  # noqa: A002
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
