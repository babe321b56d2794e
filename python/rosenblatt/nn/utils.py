"""``rb.nn.utils``: gradient clipping under PyTorch's names (``torch.nn.utils``).

The functions live in :mod:`rosenblatt.optim.clip`; they are looked up when
first used, so importing ``rosenblatt.nn`` does not import the optimizers.
"""

from __future__ import annotations

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def __getattr__(name: str):
    if name in __all__:
        from rosenblatt.optim import clip

        return getattr(clip, name)
    raise AttributeError(f"module 'rosenblatt.nn.utils' has no attribute {name!r}")
