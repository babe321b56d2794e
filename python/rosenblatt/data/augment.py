"""Image augmentation for training: random crop with padding, horizontal flip, brightness jitter.

Each transform takes a batch of images ``(N, C, H, W)`` (or one image
``(C, H, W)``, treated as a batch of one) as a NumPy array or a Tensor and
returns a new one of the same kind, shape and dtype, drawing its random
choices independently for every image. The draws come from the ``generator``
given to the transform or else from the library generator
(:func:`rosenblatt.random.generator`), so ``rb.manual_seed(s)`` repeats a run
and a checkpoint's RNG state resumes it.

:class:`Compose` chains transforms. :class:`AugmentedDataset` is a
:class:`~rosenblatt.data.TensorDataset` whose first field goes through a
transform each time it is read; a :class:`~rosenblatt.data.DataLoader`
gathers a whole batch of it at once, so the transform runs once per batch on
whole arrays::

    augment = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(), BrightnessJitter(0.2)])
    loader = DataLoader(AugmentedDataset(X_train, y_train, transform=augment), batch_size=64,
                        shuffle=True)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from rosenblatt import random as rb_random
from rosenblatt.data.dataset import TensorDataset
from rosenblatt.tensor import Tensor

__all__ = ["AugmentedDataset", "BrightnessJitter", "Compose", "RandomCrop", "RandomHorizontalFlip"]


def _images(x, name: str) -> tuple[np.ndarray, bool, bool]:
    """(batch array (N, C, H, W), input was a Tensor, input was one image)."""
    is_tensor = isinstance(x, Tensor)
    array = x.data if is_tensor else np.asarray(x)
    if array.ndim not in (3, 4):
        raise ValueError(f"{name} expects images of shape (N, C, H, W) or (C, H, W), got shape "
                         f"{array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} expects numeric images, got dtype {array.dtype}")
    single = array.ndim == 3
    return (array[None] if single else array), is_tensor, single


def _wrap(batch: np.ndarray, is_tensor: bool, single: bool):
    out = batch[0] if single else batch
    return Tensor(out) if is_tensor else out


def _check_generator(generator) -> np.random.Generator | None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator, got {type(generator).__name__}")
    return generator


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``minimum``, as (height, width)."""
    values = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                   for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


class _RandomTransform:
    """Base of the transforms: holds the generator, turns inputs into (N, C, H, W) arrays."""

    def __init__(self, generator: np.random.Generator | None) -> None:
        self.generator = _check_generator(generator)

    def _rng(self) -> np.random.Generator:
        return self.generator if self.generator is not None else rb_random.generator()

    def __call__(self, images):
        batch, is_tensor, single = _images(images, type(self).__name__)
        return _wrap(self.apply(batch, self._rng()), is_tensor, single)

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The transformed copy of ``batch`` (N, C, H, W)."""
        raise NotImplementedError


class RandomCrop(_RandomTransform):
    """Pad each image with ``padding`` pixels of ``fill`` on every side, then cut a random
    ``size`` window out of it (as torchvision's RandomCrop).

    ``size`` and ``padding`` are ints or (height, width) pairs. With the
    padded image of size (H + 2 ph, W + 2 pw), the window's top-left corner is
    uniform over the (H + 2 ph - h + 1) x (W + 2 pw - w + 1) positions.
    """

    def __init__(self, size, padding=0, fill: float = 0.0, *,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.size = _pair(size, "size", 1)
        self.padding = _pair(padding, "padding", 0)
        if not math.isfinite(float(fill)):
            raise ValueError(f"fill must be a finite number, got {fill!r}")
        self.fill = float(fill)

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, channels, height, width = batch.shape
        (h, w), (ph, pw) = self.size, self.padding
        if h > height + 2 * ph or w > width + 2 * pw:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded image "
                             f"({height + 2 * ph}, {width + 2 * pw})")
        padded = np.full((n, channels, height + 2 * ph, width + 2 * pw), self.fill, batch.dtype)
        padded[:, :, ph:ph + height, pw:pw + width] = batch
        tops = rng.integers(0, height + 2 * ph - h + 1, size=n)
        lefts = rng.integers(0, width + 2 * pw - w + 1, size=n)
        # One gather for the whole batch: rows tops[i] + 0..h-1, columns lefts[i] + 0..w-1.
        rows = (tops[:, None] + np.arange(h))[:, None, :, None]
        cols = (lefts[:, None] + np.arange(w))[:, None, None, :]
        return padded[np.arange(n)[:, None, None, None], np.arange(channels)[None, :, None, None],
                      rows, cols]

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill})"


class RandomHorizontalFlip(_RandomTransform):
    """Mirror each image left-right (reverse its W axis) with probability ``p``."""

    def __init__(self, p: float = 0.5, *, generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flip = rng.random(batch.shape[0]) < self.p
        out = batch.copy()
        out[flip] = batch[flip][..., ::-1]
        return out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class BrightnessJitter(_RandomTransform):
    """Scale each image's pixels by a factor drawn uniformly from [max(0, 1 - b), 1 + b]
    (torchvision's ColorJitter(brightness=b)), then clip them to ``clip`` (None: no clipping).

    Floating-point images only; the default clip (0, 1) suits pixels scaled to [0, 1].
    """

    def __init__(self, brightness: float = 0.2, clip: Sequence[float] | None = (0.0, 1.0), *,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        if isinstance(brightness, bool) or not isinstance(brightness, numbers.Real) \
                or not 0 <= brightness < math.inf:
            raise ValueError(f"brightness must be a finite number >= 0, got {brightness!r}")
        if clip is not None:
            clip = tuple(float(c) for c in clip)
            if len(clip) != 2 or not all(map(math.isfinite, clip)) or clip[0] > clip[1]:
                raise ValueError(f"clip must be None or a finite (low, high) pair with low <= high, "
                                 f"got {clip!r}")
        self.brightness, self.clip = float(brightness), clip

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not np.issubdtype(batch.dtype, np.floating):
            raise TypeError(f"BrightnessJitter needs floating-point images, got dtype {batch.dtype}")
        factors = rng.uniform(max(0.0, 1.0 - self.brightness), 1.0 + self.brightness,
                              size=batch.shape[0]).astype(batch.dtype)
        out = batch * factors[:, None, None, None]
        if self.clip is not None:
            np.clip(out, self.clip[0], self.clip[1], out=out)
        return out

    def __repr__(self) -> str:
        return f"BrightnessJitter(brightness={self.brightness}, clip={self.clip})"


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose takes callables, got {type(t).__name__}")
        self.transforms = transforms

    def __call__(self, images):
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class AugmentedDataset(TensorDataset):
    """A :class:`~rosenblatt.data.TensorDataset` whose first field (the images) passes
    through ``transform`` every time it is read: a new random augmentation each epoch.

    ``dataset[i]`` transforms one image; :meth:`gather` (what a DataLoader
    uses) transforms a whole batch in one call. The other fields (labels) are
    returned unchanged.
    """

    def __init__(self, *tensors, transform: Callable) -> None:
        if not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        super().__init__(*tensors)
        if self.tensors[0].ndim not in (3, 4):
            raise ValueError(f"AugmentedDataset: the first field must hold images (N, C, H, W) or "
                             f"(N, H, W), got shape {self.tensors[0].shape}")
        self.transform = transform

    def _augment(self, images: np.ndarray) -> np.ndarray:
        """``transform`` on (k, C, H, W) images, or on (k, H, W) ones as one channel."""
        if images.ndim == 3:
            return np.asarray(self.transform(images[:, None]))[:, 0]
        return np.asarray(self.transform(images))

    def __getitem__(self, index: int) -> tuple:
        sample = super().__getitem__(index)
        return (self._augment(sample[0][None])[0], *sample[1:])

    def gather(self, indices: np.ndarray) -> tuple:
        fields = super().gather(indices)
        return (self._augment(fields[0]), *fields[1:])
