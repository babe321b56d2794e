"""Image augmentation: random crop with padding, horizontal flip, brightness jitter, seeding."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.data import (
    AugmentedDataset,
    BrightnessJitter,
    Compose,
    DataLoader,
    RandomCrop,
    RandomHorizontalFlip,
)


def images(n=6, c=2, h=5, w=7, dtype=np.float32):
    return np.random.default_rng(0).random((n, c, h, w)).astype(dtype)


def test_random_crop_is_a_window_of_the_padded_image():
    x = images()
    out = RandomCrop((5, 7), padding=2, generator=np.random.default_rng(1))(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for i in range(len(x)):
        windows = [(t, l) for t in range(5) for l in range(5)
                   if np.array_equal(padded[i, :, t:t + 5, l:l + 7], out[i])]
        assert windows, f"image {i} is not a window of its padded image"


def test_random_crop_visits_every_offset_and_smaller_sizes():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    crop = RandomCrop(2, generator=np.random.default_rng(0))
    corners = {float(crop(x)[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {float(v) for v in x[0, 0, :3, :3].ravel()}  # all 3x3 top-left corners
    assert RandomCrop(3, padding=1, fill=-1.0)(x[0]).shape == (1, 3, 3)  # one (C, H, W) image


def test_horizontal_flip_mirrors_about_half_the_images():
    x = images(n=400, c=1, h=3, w=4)
    out = RandomHorizontalFlip(generator=np.random.default_rng(2))(x)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped | kept) and 150 < flipped.sum() < 250
    assert np.array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    assert np.array_equal(RandomHorizontalFlip(p=0.0)(x), x)


def test_brightness_jitter_scales_each_image_by_one_factor_in_range():
    x = images(n=50, dtype=np.float64) * 0.5
    out = BrightnessJitter(0.3, clip=None, generator=np.random.default_rng(3))(x)
    factors = out.reshape(50, -1) / x.reshape(50, -1)
    assert np.allclose(factors, factors[:, :1])
    assert factors.min() >= 0.7 and factors.max() <= 1.3 and factors.std() > 0.05
    clipped = BrightnessJitter(5.0)(np.ones((20, 1, 2, 2), np.float32))
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_tensors_stay_tensors_and_compose_chains():
    rb.manual_seed(0)
    x = rb.Tensor(images())
    out = Compose([RandomCrop(4, padding=1), RandomHorizontalFlip(), BrightnessJitter(0.1)])(x)
    assert isinstance(out, rb.Tensor) and out.shape == (6, 2, 4, 4)


def test_the_library_seed_repeats_the_draws():
    transform = Compose([RandomCrop(5, padding=2), RandomHorizontalFlip(), BrightnessJitter(0.5)])
    x = images(h=5, w=5)
    rb.manual_seed(7)
    first = transform(x)
    rb.manual_seed(7)
    assert np.array_equal(transform(x), first)
    assert not np.array_equal(transform(x), first)  # the next draw differs


def test_augmented_dataset_in_a_loader():
    x = images(n=10, c=1, h=6, w=6)
    y = np.arange(10)
    rb.manual_seed(0)
    dataset = AugmentedDataset(x, y, transform=RandomHorizontalFlip(p=1.0))
    assert np.array_equal(dataset[3][0], x[3, :, :, ::-1]) and dataset[3][1] == 3
    batches = list(DataLoader(dataset, batch_size=4, shuffle=True))
    seen = np.concatenate([b[1].numpy() for b in batches])
    images_out = np.concatenate([b[0].numpy() for b in batches])
    assert sorted(seen) == list(range(10))
    assert np.array_equal(images_out, x[seen][..., ::-1])
    grey = AugmentedDataset(x[:, 0], y, transform=RandomHorizontalFlip(p=1.0))  # (N, H, W) images
    assert np.array_equal(grey.gather(np.array([1, 2]))[0], x[[1, 2], 0, :, ::-1])


@pytest.mark.parametrize("make, message", [
    (lambda: RandomCrop(0), "size must be >= 1"),
    (lambda: RandomCrop(3, padding=-1), "padding must be >= 0"),
    (lambda: RandomCrop((2, 2, 2)), "size must be an int or a pair"),
    (lambda: RandomCrop(3, fill=float("nan")), "fill must be a finite number"),
    (lambda: RandomHorizontalFlip(p=1.5), "p must be a probability"),
    (lambda: BrightnessJitter(-0.1), "brightness must be a finite number >= 0"),
    (lambda: BrightnessJitter(0.1, clip=(1, 0)), "clip must be None or a finite"),
    (lambda: AugmentedDataset(np.zeros((3, 4)), np.zeros(3), transform=RandomHorizontalFlip()),
     "must hold images"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"larger than the padded image"):
        RandomCrop(9, padding=1)(images())
    with pytest.raises(ValueError, match=r"expects images of shape"):
        RandomHorizontalFlip()(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="floating-point"):
        BrightnessJitter()(np.zeros((1, 1, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="generator must be"):
        RandomCrop(2, generator=3)
    with pytest.raises(TypeError, match="transform must be callable"):
        AugmentedDataset(images(), np.zeros(6), transform=None)
