"""Upsample: nearest or bilinear resizing of (N, C, H, W) (:func:`rosenblatt.functional.interpolate`)."""

from __future__ import annotations

from rosenblatt import functional as F
from rosenblatt.nn.module import Module
from rosenblatt.tensor import Tensor


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with ``mode`` 'nearest' or 'bilinear'."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None) -> None:
        super().__init__()
        self.size, self.scale_factor = size, scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
