"""A step-based training loop for the sequence models (random minibatches, warmup + cosine).

The transformer, GPT and masked-LM families train on samples drawn at random
from a large (or generated) pool rather than in epochs of a DataLoader:
``batch_loss(indices)`` builds one minibatch's loss, the learning rate rises
linearly for ``warmup`` steps and then follows a cosine down to zero::

    lr_s = lr * min(1, (s + 1) / warmup) * (1 + cos(pi * s / steps)) / 2
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np


def train_steps(model, batch_loss: Callable[[np.ndarray], object], *, pool_size: int,
                steps: int, batch_size: int, lr: float, warmup: int = 50,
                weight_decay: float = 0.0, progress: bool = False) -> list[float]:
    """AdamW for ``steps`` steps on minibatches of ``batch_size`` indices into a pool.

    Indices are drawn from rosenblatt's generator (``rb.manual_seed`` repeats
    a run). Only parameters that require grad train. Returns the loss per
    step; the model is left in eval mode.
    """
    from rosenblatt import optim
    from rosenblatt.random import generator

    if steps < 1 or batch_size < 1 or pool_size < 1:
        raise ValueError(f"steps, batch_size and pool_size must be >= 1, got {steps}, "
                         f"{batch_size} and {pool_size}")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    warmup = max(1, min(warmup, steps))
    schedule = optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(
            math.pi * min(s, steps) / steps)))
    losses = []
    model.train()
    iterator = range(steps)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="train", unit="step", leave=False)
    for _ in iterator:
        optimizer.zero_grad()
        loss = batch_loss(generator().integers(0, pool_size, batch_size))
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            raise FloatingPointError(f"the training loss became {losses[-1]} at step "
                                     f"{len(losses)}; lower the learning rate")
        if progress:
            iterator.set_postfix(loss=f"{losses[-1]:.4f}")
    model.eval()
    return losses
