"""CNN family: LeNet-5, VGG-, ResNet-style networks, Inception and SE blocks, fully
convolutional conversion, transfer learning on a CNN, and the issue's accuracies."""

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.models import (
    VGG,
    BasicBlock,
    InceptionModule,
    LeNet5,
    ResNet,
    SqueezeExcitation,
    to_fully_convolutional,
)
from rosenblatt.models.cnn_commands import DEFAULTS, image_split
from rosenblatt.models.commands import train_classifier


def images(n, c, h, w=None, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random((n, c, h, h if w is None else w)).astype(dtype)


def forward(model, x):
    model.eval()
    with no_grad():
        return model(rb.Tensor(x)).data


# -- quality -------------------------------------------------------------------------
def test_lenet5_reaches_97_percent_on_mnist5k():
    rb.manual_seed(0)
    X_train, X_test, y_train, y_test, size = image_split("mnist5k")
    assert (len(X_train), len(X_test), size) == (4000, 1000, 28)  # the split
    model = LeNet5(1, 10, size)
    accuracy, history = train_classifier(model, X_train, y_train, X_test, y_test, progress=False,
                                         **DEFAULTS["lenet"])  # those of `rosenblatt train cnn`
    assert accuracy >= 0.97, f"LeNet-5 test accuracy {accuracy:.4f} < 0.97"
    assert history["loss"][-1] < history["loss"][0]


def test_resnet_reaches_98_percent_on_digits():
    rb.manual_seed(0)
    X_train, X_test, y_train, y_test, size = image_split("digits")
    assert size == 8
    model = ResNet(in_channels=1, num_classes=10)
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, progress=False,
                                   **DEFAULTS["resnet"])
    assert accuracy >= 0.98, f"ResNet test accuracy {accuracy:.4f} < 0.98"


def test_saliency_and_activation_maximization_of_a_trained_cnn():
    from rosenblatt.models.saliency import activation_maximization, saliency_map

    rb.manual_seed(8)
    X_train, X_test, y_train, y_test, _ = image_split("digits")
    model = LeNet5(1, 10, 8)
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, epochs=3, lr=1e-2,
                                   batch_size=32, progress=False)
    assert accuracy > 0.9
    maps = saliency_map(model, X_test[:8])
    assert maps.shape == (8, 8, 8) and np.all(maps.max(axis=(1, 2)) > 0)
    # the map is |gradient| of the predicted logit: check one pixel by central differences
    x = X_test[:1].astype(np.float64)
    model.double()
    target = int(forward(model, x).argmax())
    gradient_map = saliency_map(model, x, target=target)[0]
    h, w = np.unravel_index(gradient_map.argmax(), gradient_map.shape)
    step = np.zeros_like(x)
    step[0, 0, h, w] = 1e-6
    numeric = (forward(model, x + step)[0, target] - forward(model, x - step)[0, target]) / 2e-6
    assert abs(numeric) == pytest.approx(gradient_map[h, w], rel=1e-4)
    dreams = np.stack([activation_maximization(model, c, (1, 8, 8), steps=60, lr=0.5,
                                               dtype=np.float64) for c in range(10)])
    assert list(forward(model, dreams).argmax(1)) == list(range(10))


# -- architectures ---------------------------------------------------------------------
@pytest.mark.parametrize("size, features", [(28, 400), (8, 64), (32, 400), (16, 64)])
def test_lenet5_shapes(size, features):
    model = LeNet5(3, 7, size)
    assert model.classifier[1].in_features == features
    assert forward(model, images(2, 3, size)).shape == (2, 7)
    assert [m.out_channels for m in model.features if isinstance(m, nn.Conv2d)] == [6, 16]
    assert [m.out_features for m in model.classifier if isinstance(m, nn.Linear)] == [120, 84, 7]


def test_lenet5_equals_the_same_torch_network():
    torch = pytest.importorskip("torch")
    rb.manual_seed(0)
    model = LeNet5(1, 10, 28, dtype=np.float64)
    tnn = torch.nn
    reference = tnn.Sequential()
    reference.add_module("features", tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
        tnn.ReLU(), tnn.MaxPool2d(2)))  # conv-ReLU-pool: the same function as our conv-pool-ReLU
    reference.add_module("classifier", tnn.Sequential(
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
        tnn.Linear(84, 10)))
    reference = reference.double()
    reference.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in model.state_dict().items()})
    x = images(3, 1, 28, dtype=np.float64)
    np.testing.assert_allclose(forward(model, x), reference(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_vgg_config_and_shapes():
    model = VGG((8, "M", 16, 16, "M", 32, "M"), in_channels=3, num_classes=5, image_size=(16, 24),
                hidden=(32, 24), batch_norm=True, dropout=0.5)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 16, 32]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) and c.bias is None for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.features) == 4
    assert model.classifier[1].in_features == 32 * 2 * 3
    assert forward(model, images(2, 3, 16, 24)).shape == (2, 5)
    plain = VGG((4, "M"), image_size=8, hidden=(), batch_norm=False, dropout=0.0)
    assert plain.features[0].bias is not None and len(plain.classifier) == 2
    assert forward(plain, images(1, 1, 8)).shape == (1, 10)


def test_basic_block_shortcuts():
    identity = BasicBlock(4, 4)
    projection = BasicBlock(4, 8, stride=2)
    assert identity.downsample is None
    assert isinstance(projection.downsample[0], nn.Conv2d)
    assert projection.downsample[0].kernel_size == (1, 1) and projection.downsample[0].stride == (2, 2)
    x = images(2, 4, 6, seed=1) - 0.5
    assert forward(projection, x).shape == (2, 8, 3, 3)
    # with the residual branch silenced (bn2's gamma = 0), the block is relu(x + shortcut)
    nn.init.zeros_(identity.bn2.weight)
    np.testing.assert_allclose(forward(identity, x), np.maximum(x, 0), atol=1e-7)


def test_resnet_layout_and_names():
    model = ResNet(channels=(8, 16), blocks=(1, 2), in_channels=3, num_classes=4,
                   squeeze_excitation=True)
    names = set(model.state_dict())
    for name in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                 "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
                 "layer2.1.se.fc1.weight", "fc.weight", "fc.bias"):
        assert name in names
    assert "layer1.0.downsample.0.weight" not in names and "layer2.1.downsample.0.weight" not in names
    assert forward(model, images(2, 3, 12)).shape == (2, 4)


def test_inception_module_concatenates_the_branches():
    block = InceptionModule(3, ch1x1=4, ch3x3red=2, ch3x3=5, ch5x5red=2, ch5x5=3, pool_proj=6)
    x = images(2, 3, 7, 9)
    out = forward(block, x)
    assert out.shape == (2, 4 + 5 + 3 + 6, 7, 9) and block.out_channels == 18
    np.testing.assert_allclose(out[:, :4], forward(block.branch1, x), rtol=1e-6)
    np.testing.assert_allclose(out[:, 12:], forward(block.branch4, x), rtol=1e-6)
    assert block.branch3[0].kernel_size == (1, 1) and block.branch3[2].kernel_size == (5, 5)


def test_squeeze_excitation_matches_a_numpy_reference():
    rb.manual_seed(1)
    block = SqueezeExcitation(8, reduction=4, dtype=np.float64)
    assert block.fc1.out_channels == 2 and block.fc2.out_channels == 8
    x = images(3, 8, 5, seed=2, dtype=np.float64) - 0.5
    w1, b1 = block.fc1.weight.data[:, :, 0, 0], block.fc1.bias.data
    w2, b2 = block.fc2.weight.data[:, :, 0, 0], block.fc2.bias.data
    squeezed = x.mean(axis=(2, 3))
    gate = 1 / (1 + np.exp(-(np.maximum(squeezed @ w1.T + b1, 0) @ w2.T + b2)))
    np.testing.assert_allclose(forward(block, x), x * gate[:, :, None, None], rtol=1e-12)
    assert SqueezeExcitation(8, 3).fc1.out_channels == 3


@pytest.mark.parametrize("build", [
    lambda: LeNet5(1, 10, 28),
    lambda: VGG((4, "M", 8, "M"), image_size=8),
    lambda: ResNet((4, 8), (1, 1)),
])
def test_state_dict_round_trip(build, tmp_path):
    rb.manual_seed(3)
    model = build()
    model.train()
    x = images(4, 1, 28 if isinstance(model, LeNet5) else 8, seed=3)
    model(rb.Tensor(x))  # moves batch-norm running statistics away from their start
    from rosenblatt.train import load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "model.safetensors", model)
    rb.manual_seed(4)
    copy = build()
    load_checkpoint(tmp_path / "model.safetensors", copy)
    assert list(copy.state_dict()) == list(model.state_dict())
    np.testing.assert_array_equal(forward(copy, x), forward(model, x))
    fresh = build()
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(forward(fresh, x), forward(model, x))


# -- fully convolutional -----------------------------------------------------------------
def test_fully_convolutional_lenet_equals_the_classifier_on_every_crop():
    rb.manual_seed(5)
    model = LeNet5(1, 10, 32, dtype=np.float64)  # LeNet-5's own input: no zero padding
    sliding = to_fully_convolutional(model, (1, 32, 32))
    assert sliding.stride == (4, 4)
    assert isinstance(sliding.classifier[0], nn.Conv2d) and sliding.classifier[0].kernel_size == (5, 5)
    big = images(2, 1, 48, 44, seed=5, dtype=np.float64)
    scores = forward(sliding, big)
    assert scores.shape == (2, 10, 5, 4)  # (48 - 32) / 4 + 1 rows, (44 - 32) / 4 + 1 columns
    for i in range(5):
        for j in range(4):
            crop = big[:, :, 4 * i:4 * i + 32, 4 * j:4 * j + 32]
            np.testing.assert_allclose(scores[:, :, i, j], forward(model, crop), rtol=1e-10,
                                       atol=1e-12)
    assert sliding.predict(big).shape == (2, 5, 4)
    np.testing.assert_allclose(forward(sliding, big[:, :, :32, :32])[:, :, 0, 0],
                               forward(model, big[:, :, :32, :32]), rtol=1e-10)
    # the converted weights are copies
    sliding.classifier[0].weight.data[...] = 0
    assert np.abs(model.classifier[1].weight.data).sum() > 0


def test_fully_convolutional_vgg_on_its_own_size():
    rb.manual_seed(6)
    model = VGG((4, "M", 8, "M"), image_size=8, hidden=(16,), dropout=0.5)
    sliding = to_fully_convolutional(model, (1, 8, 8))
    x = images(3, 1, 8, seed=6)
    np.testing.assert_allclose(forward(sliding, x)[:, :, 0, 0], forward(model, x), rtol=1e-5,
                               atol=1e-6)
    assert forward(sliding, images(1, 1, 16, 12)).shape == (1, 10, 3, 2)


def test_fully_convolutional_refuses_what_it_cannot_convert():
    with pytest.raises(ValueError, match="needs a features module and a classifier"):
        to_fully_convolutional(ResNet((4,), (1,)), (1, 8, 8))
    model = LeNet5(1, 10, 28)
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
        to_fully_convolutional(model, (28, 28))
    model.classifier.append(nn.BatchNorm1d(10))
    with pytest.raises(ValueError, match="cannot turn a BatchNorm1d"):
        to_fully_convolutional(model, (1, 28, 28))


# -- transfer learning on a CNN --------------------------------------------------------
def test_fine_tuning_a_lenet_head_leaves_the_frozen_features_alone():
    from rosenblatt.models.transfer import freeze, param_groups, replace_head

    rb.manual_seed(7)
    model = LeNet5(1, 10, 8)
    replace_head(model, num_classes=3)
    freeze(model.features)
    groups = param_groups(model, {"classifier.5": 1e-2}, default_lr=1e-3)
    optimizer = rb.optim.Adam(groups)
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    X_train, _, y_train, _, _ = image_split("digits")
    for start in range(0, 320, 32):
        optimizer.zero_grad()
        model.loss(model(rb.Tensor(X_train[start:start + 32])), y_train[start:start + 32] % 3).backward()
        optimizer.step()
    for name, p in model.named_parameters():
        changed = not np.array_equal(before[name], p.data)
        assert changed == name.startswith("classifier."), name


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_classes must be an int >= 1"):
        LeNet5(1, 0)
    with pytest.raises(ValueError, match="too small"):
        LeNet5(1, 10, 3)
    with pytest.raises(ValueError, match="pools images of size"):
        VGG((4, "M", "M", "M", "M"), image_size=8)
    with pytest.raises(ValueError, match="config entries"):
        VGG((4, "X"))
    with pytest.raises(ValueError, match="dropout must be in"):
        VGG(dropout=1.0)
    with pytest.raises(ValueError, match="equal length"):
        ResNet((4, 8), (1,))
    with pytest.raises(ValueError, match="reduction must be"):
        SqueezeExcitation(8, reduction=0)
