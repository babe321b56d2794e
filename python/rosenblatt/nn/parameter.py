"""Parameter: a leaf Tensor that a Module registers as learnable."""

from __future__ import annotations

import numpy as np

from rosenblatt.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is found by ``Module.parameters()``.

    Its ``data`` is a C-contiguous array (optimizers update it in place).
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True) -> None:
        super().__init__(np.ascontiguousarray(data.data if isinstance(data, Tensor) else data),
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
