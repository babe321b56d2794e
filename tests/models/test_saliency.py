"""Saliency maps and activation maximization: closed forms on a linear model, a trained
classifier, PNG output, model state left alone, bad input."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.models.saliency import (
    activation_maximization,
    plot_images,
    plot_saliency,
    saliency_map,
)


def png_bytes(path):
    with open(path, "rb") as file:
        return file.read(8)


def linear_model(channels=3, height=4, width=5, classes=6, dtype=np.float64):
    rb.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(channels * height * width, classes, dtype=dtype))


def test_saliency_of_a_linear_model_is_its_weight_row():
    # s_c(x) = W[c] . x + b[c], so d s_c / dx = W[c] and the map is max_k |W[c, k, h, w]|.
    model = linear_model()
    x = np.random.default_rng(1).standard_normal((4, 3, 4, 5))
    weight = model[1].weight.data.reshape(6, 3, 4, 5)
    maps = saliency_map(model, x, target=[0, 5, 2, 2])
    expected = np.abs(weight[[0, 5, 2, 2]]).max(axis=1)
    np.testing.assert_allclose(maps, expected, rtol=1e-12)
    predicted = (x.reshape(4, -1) @ model[1].weight.data.T + model[1].bias.data).argmax(1)
    np.testing.assert_allclose(saliency_map(model, rb.Tensor(x)),
                               np.abs(weight[predicted]).max(axis=1), rtol=1e-12)
    assert saliency_map(model, x, target=3).shape == (4, 4, 5)


def test_activation_maximization_reaches_the_closed_form_optimum():
    # J(x) = W[c] . x + b[c] - l2 ||x||^2 is maximal at x* = W[c] / (2 l2); ascent contracts
    # the error by (1 - 2 lr l2) per step.
    model = linear_model(channels=1, height=3, width=3, classes=4)
    image = activation_maximization(model, 2, (1, 3, 3), steps=300, lr=0.1, l2=0.5,
                                    dtype=np.float64)
    np.testing.assert_allclose(image, model[1].weight.data[2].reshape(1, 3, 3) / 1.0, atol=1e-9)


def test_model_state_is_left_as_it_was():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    x = np.random.default_rng(2).standard_normal((5, 1, 3, 4)).astype(np.float32)
    first = saliency_map(model, x, target=1)
    np.testing.assert_array_equal(saliency_map(model, x, target=1), first)  # dropout was off
    assert model.training and all(p.grad is None and p.requires_grad for p in model.parameters())
    model[1].weight.requires_grad_(False)
    activation_maximization(model, 0, (1, 3, 4), steps=3)
    assert not model[1].weight.requires_grad and model[3].weight.requires_grad


def test_trained_classifier_saliency_and_its_dreams(tmp_path):
    pytest.importorskip("matplotlib")
    from rosenblatt.models import MLPClassifier
    from rosenblatt.models.commands import prepared_split, train_classifier

    rb.manual_seed(0)
    X_train, X_test, y_train, y_test = prepared_split("digits")
    mlp = MLPClassifier(64, (64,), 10, dropout=0.0)
    train_classifier(mlp, X_train, y_train, X_test, y_test, epochs=5, lr=3e-3, batch_size=64,
                     progress=False)
    model = nn.Sequential(nn.Flatten(), mlp)  # takes (N, 1, 8, 8) images
    images = X_test[:6].reshape(6, 1, 8, 8)
    maps = saliency_map(model, images)
    assert maps.shape == (6, 8, 8) and np.all(maps >= 0) and np.all(maps.max(axis=(1, 2)) > 0)
    dreams = np.stack([activation_maximization(model, c, (1, 8, 8), steps=100) for c in range(3)])
    from rosenblatt.autograd import no_grad

    with no_grad():
        assert list(model(rb.Tensor(dreams)).data.argmax(1)) == [0, 1, 2]
    png = plot_saliency(tmp_path / "saliency.png", images, maps, titles=[str(c) for c in y_test[:6]])
    assert png_bytes(png) == b"\x89PNG\r\n\x1a\n"
    png = plot_images(tmp_path / "dreams.png", dreams, titles=["0", "1", "2"])
    assert png_bytes(png) == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_refused():
    model = linear_model()
    x = np.zeros((2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\)"):
        saliency_map(model, np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        saliency_map(model, np.full((1, 3, 4, 5), np.nan))
    with pytest.raises(ValueError, match=r"target classes must lie in \[0, 6\)"):
        saliency_map(model, x, target=6)
    with pytest.raises(TypeError, match="integer classes"):
        saliency_map(model, x, target=1.5)
    with pytest.raises(ValueError, match="shape must be"):
        activation_maximization(model, 0, (4, 5))
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        activation_maximization(model, 0, (3, 4, 5), lr=0)
    with pytest.raises(ValueError, match="steps must be"):
        activation_maximization(model, 0, (3, 4, 5), steps=0)
    with pytest.raises(ValueError, match="maps must have shape"):
        plot_saliency("unused.png", x, np.zeros((2, 4)))


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_images("unused.png", np.zeros((1, 1, 2, 2)))
