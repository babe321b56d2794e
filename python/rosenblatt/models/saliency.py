"""What a trained image classifier looks at: saliency maps and activation maximization.

* Saliency (Simonyan, Vedaldi and Zisserman, 2014): for an image x and a class
  c with score (logit) s_c(x), the map is ``M[h, w] = max_k |d s_c / d x[k, h, w]|``,
  the largest absolute gradient over the channels k: the pixels whose change
  moves the class score most.
* Activation maximization: the image that a class's score likes best under
  an L2 image prior, found by gradient ascent on
  ``J(x) = s_c(x) - l2 * ||x||^2`` from a small random start:
  ``x <- x + lr * (d s_c / dx - 2 l2 x)``.

Both run the model in eval mode (dropout off, batch norm on running
statistics) and restore its mode; the model's parameters get no gradients.
:func:`plot_saliency` and :func:`plot_images` write them as PNGs (needs matplotlib).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from rosenblatt import random as rb_random
from rosenblatt.plotting import new_figure, save_figure
from rosenblatt.tensor import Tensor

__all__ = ["activation_maximization", "plot_images", "plot_saliency", "saliency_map"]


@contextmanager
def _inspecting(model):
    """Eval mode and no parameter gradients while inside; the previous state after."""
    was_training = model.training
    params = list(model.parameters())
    needs = [p.requires_grad for p in params]
    grads = [p.grad for p in params]
    model.eval()
    for p in params:
        p.requires_grad = False
    try:
        yield
    finally:
        for p, need, grad in zip(params, needs, grads):
            p.requires_grad, p.grad = need, grad
        model.train(was_training)


def _score_gradient(model, x: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logits (N, classes), d logits[i, targets[i]] / d x (N, C, H, W)) in one forward and backward."""
    inputs = Tensor(x, requires_grad=True)
    logits = model(inputs)
    if logits.ndim != 2 or logits.shape[0] != x.shape[0]:
        raise ValueError(f"the model must return (N, classes) scores, got shape {logits.shape}")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f"target classes must lie in [0, {logits.shape[1]}), got {targets}")
    one_hot = np.zeros(logits.shape, logits.dtype)
    one_hot[np.arange(len(targets)), targets] = 1
    (logits * Tensor(one_hot)).sum().backward()  # the scores are independent across the batch
    return logits.data, inputs.grad.data


def _image_batch(images) -> np.ndarray:
    array = images.data if isinstance(images, Tensor) else np.asarray(images)
    if array.ndim != 4 or 0 in array.shape:
        raise ValueError(f"images must have shape (N, C, H, W) with no empty axis, got {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"images must be floating-point, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError("images contain NaN or infinite values")
    return array


def saliency_map(model, images, target=None) -> np.ndarray:
    """The saliency maps (N, H, W) of ``images`` (N, C, H, W) for classes ``target``.

    ``target`` is one class for every image, a sequence of N classes, or None
    for each image's predicted class (the largest logit).
    """
    x = _image_batch(images)
    with _inspecting(model):
        if target is None:
            from rosenblatt.autograd import no_grad

            with no_grad():
                targets = np.asarray(model(Tensor(x)).data).argmax(1)
        else:
            targets = np.broadcast_to(np.asarray(target), (x.shape[0],))
            if not np.issubdtype(targets.dtype, np.integer):
                raise TypeError(f"target must be integer classes, got {targets.dtype}")
        _, gradient = _score_gradient(model, x, targets)
    return np.abs(gradient).max(axis=1)


def activation_maximization(model, target: int, shape: Sequence[int], *, steps: int = 200,
                            lr: float = 0.1, l2: float = 1e-2, init_scale: float = 0.01,
                            dtype=np.float32) -> np.ndarray:
    """The image (C, H, W) of ``shape`` that maximizes class ``target``'s score minus
    ``l2 * ||x||^2``, by ``steps`` steps of gradient ascent of size ``lr`` from
    ``init_scale`` times standard normal noise (drawn from the library generator).
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"shape must be (C, H, W) with sizes >= 1, got {shape}")
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or target < 0:
        raise ValueError(f"target must be a class index >= 0, got {target!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    for name, value in (("lr", lr), ("l2", l2), ("init_scale", init_scale)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not 0 <= value < math.inf or (name == "lr" and value == 0):
            raise ValueError(f"{name} must be a finite number {'> 0' if name == 'lr' else '>= 0'}, "
                             f"got {value!r}")
    x = (init_scale * rb_random.generator().standard_normal((1, *shape))).astype(dtype)
    targets = np.array([int(target)])
    with _inspecting(model):
        for _ in range(int(steps)):
            _, gradient = _score_gradient(model, x, targets)
            x += (lr * (gradient - 2 * l2 * x)).astype(dtype)
    return x[0]


def _displayable(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(array for imshow, colormap): grey for one channel, RGB for three, the channel mean else;
    scaled to [0, 1]."""
    if image.shape[0] == 3:
        shown, cmap = np.transpose(image, (1, 2, 0)), None
    else:
        shown, cmap = image.mean(axis=0), "gray"
    low, high = float(shown.min()), float(shown.max())
    return (shown - low) / (high - low) if high > low else np.zeros_like(shown), cmap


def plot_saliency(path: str | os.PathLike, images, maps, titles: Sequence[str] | None = None, *,
                  title: str | None = "saliency |d score / d pixel|") -> str:
    """A PNG with the images (N, C, H, W) on the top row and their saliency maps (N, H, W)
    below them; ``titles`` label the columns. Returns the path written."""
    x, maps = _image_batch(images), np.asarray(maps)
    if maps.shape != (x.shape[0], *x.shape[2:]):
        raise ValueError(f"maps must have shape {(x.shape[0], *x.shape[2:])}, got {maps.shape}")
    if titles is not None and len(titles) != x.shape[0]:
        raise ValueError(f"titles must have {x.shape[0]} entries, got {len(titles)}")
    figure, _ = new_figure(x.shape[0], width=1.8, height=3.8)
    figure.clear()
    axes = figure.subplots(2, x.shape[0], squeeze=False)
    for i in range(x.shape[0]):
        shown, cmap = _displayable(x[i])
        axes[0, i].imshow(shown, cmap=cmap)
        axes[1, i].imshow(maps[i], cmap="hot")
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=9)
        for row in (0, 1):
            axes[row, i].set_axis_off()
    return save_figure(figure, path, title)


def plot_images(path: str | os.PathLike, images, titles: Sequence[str] | None = None, *,
                title: str | None = None) -> str:
    """A PNG with one row of images (N, C, H, W), e.g. activation-maximization results."""
    x = _image_batch(images)
    if titles is not None and len(titles) != x.shape[0]:
        raise ValueError(f"titles must have {x.shape[0]} entries, got {len(titles)}")
    figure, axes = new_figure(x.shape[0], width=1.8, height=2.0)
    for i in range(x.shape[0]):
        shown, cmap = _displayable(x[i])
        axes[i].imshow(shown, cmap=cmap)
        axes[i].set_axis_off()
        if titles is not None:
            axes[i].set_title(str(titles[i]), fontsize=9)
    return save_figure(figure, path, title)
