"""Convolutional networks: LeNet-5, a VGG-style and a ResNet-style classifier, the Inception
module, the squeeze-and-excitation block, and turning a classifier's fully connected head
into convolutions so it slides over larger images.

Inputs are image batches (N, C, H, W); classifiers return (N, num_classes)
logits, train with cross-entropy (:meth:`ImageClassifier.loss`) and predict
class indices (:meth:`ImageClassifier.predict`). Layer and parameter names
follow PyTorch's and torchvision's (``features.0.weight``, ``layer2.0.downsample.0.weight``,
``fc.bias``), so their weights can be compared one to one.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence

import numpy as np

from rosenblatt import functional as F
from rosenblatt import nn
from rosenblatt.autograd import no_grad
from rosenblatt.tensor import Tensor

__all__ = [
    "BasicBlock", "ImageClassifier", "InceptionModule", "LeNet5", "ResNet", "SqueezeExcitation",
    "VGG", "to_fully_convolutional",
]


def _count(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _image_size(value) -> tuple[int, int]:
    size = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(size) != 2:
        raise ValueError(f"image_size must be an int or an (H, W) pair, got {value!r}")
    return _count(size[0], "image_size"), _count(size[1], "image_size")


class ImageClassifier(nn.Module):
    """Base of the classifiers here: cross-entropy loss and batched class predictions."""

    num_classes: int

    def loss(self, logits: Tensor, y) -> Tensor:
        """The mean cross-entropy of the logits (N, num_classes) against class indices y (N,)."""
        return F.cross_entropy(logits, y)

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        """The class with the largest logit (axis 1) for each image of ``x`` (N, C, H, W), in eval mode
        and in batches of ``batch_size``; the model's mode is restored afterwards."""
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                chunks = [self(Tensor(data[i:i + batch_size])).data.argmax(1)
                          for i in range(0, len(data), batch_size)]
        finally:
            self.train(was_training)
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int64)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class LeNet5(ImageClassifier):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling, its usual modern form.

    ``features``: conv 5x5 -> 6 channels, max pool 2, ReLU, conv 5x5 -> 16 channels, max
    pool 2, ReLU;
    ``classifier``: flatten, 120, 84, ``num_classes``. The first convolution
    pads by 2 unless the images are at least 32 pixels high (LeNet-5's own
    32x32 input, where no convolution pads), so 28x28 MNIST gives the classic
    16x5x5 = 400 features; the second pads by 2 when the first leaves fewer
    than 6 pixels (8x8 digits: 6x4x4 -> 16x4x4 -> 16x2x2).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size=28, *,
                 dtype=None) -> None:
        super().__init__()
        self.in_channels = _count(in_channels, "in_channels")
        self.num_classes = _count(num_classes, "num_classes")
        self.image_size = _image_size(image_size)
        pad1 = 0 if min(self.image_size) >= 32 else 2
        size1 = [(s + 2 * pad1 - 4) // 2 for s in self.image_size]
        if min(size1) < 1:
            raise ValueError(f"LeNet5: images of size {self.image_size} are too small (need >= 2)")
        pad2 = 0 if min(size1) >= 6 else 2
        size2 = [(s + 2 * pad2 - 4) // 2 for s in size1]
        if min(size2) < 1:
            raise ValueError(f"LeNet5: images of size {self.image_size} are too small")
        # ReLU after the pooling: max and ReLU commute (ReLU is monotonic), and ReLU then
        # runs on a quarter of the values. Parameter names are those of conv-ReLU-pool.
        self.features = nn.Sequential(
            nn.Conv2d(self.in_channels, 6, 5, padding=pad1, dtype=dtype), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(6, 16, 5, padding=pad2, dtype=dtype), nn.MaxPool2d(2), nn.ReLU())
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * size2[0] * size2[1], 120, dtype=dtype), nn.ReLU(),
            nn.Linear(120, 84, dtype=dtype), nn.ReLU(), nn.Linear(84, self.num_classes, dtype=dtype))


class VGG(ImageClassifier):
    """A VGG-style network (Simonyan and Zisserman, 2015): stacks of 3x3 convolutions.

    ``config`` lists the feature layers: an int c is Conv2d(3x3, padding 1) to
    c channels, [BatchNorm2d], ReLU; ``"M"`` is a 2x2 max pooling. The
    classifier is flatten, then for each of ``hidden``: Linear, ReLU, Dropout,
    then Linear to ``num_classes``.
    """

    def __init__(self, config: Sequence = (32, 32, "M", 64, 64, "M"), in_channels: int = 1,
                 num_classes: int = 10, image_size=28, *, hidden: Sequence[int] = (256,),
                 batch_norm: bool = True, dropout: float = 0.5, dtype=None) -> None:
        super().__init__()
        self.in_channels = _count(in_channels, "in_channels")
        self.num_classes = _count(num_classes, "num_classes")
        self.image_size = _image_size(image_size)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        layers: list[nn.Module] = []
        channels, size = self.in_channels, list(self.image_size)
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                size = [s // 2 for s in size]
                if min(size) < 1:
                    raise ValueError(f"VGG: config {tuple(config)} pools images of size "
                                     f"{self.image_size} down to nothing")
                continue
            width = _count(item, "config entries (channels or 'M')")
            layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not batch_norm, dtype=dtype))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width, dtype=dtype))
            layers.append(nn.ReLU())
            channels = width
        if not layers:
            raise ValueError("VGG: config must have at least one layer")
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.Flatten()]
        fan_in = channels * size[0] * size[1]
        for width in hidden:
            head += [nn.Linear(fan_in, _count(width, "hidden sizes"), dtype=dtype), nn.ReLU()]
            if dropout:
                head.append(nn.Dropout(dropout))
            fan_in = width
        head.append(nn.Linear(fan_in, self.num_classes, dtype=dtype))
        self.classifier = nn.Sequential(*head)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018), torchvision's layout.

    ``s = sigmoid(fc2(relu(fc1(mean_hw(x)))))`` per sample and channel, with
    fc1/fc2 1x1 convolutions C -> squeeze_channels -> C; the output is
    ``x * s``: each channel rescaled by a gate computed from all channels.
    """

    def __init__(self, input_channels: int, squeeze_channels: int | None = None, *,
                 reduction: int = 4, dtype=None) -> None:
        super().__init__()
        input_channels = _count(input_channels, "input_channels")
        if squeeze_channels is None:
            squeeze_channels = max(1, input_channels // _count(reduction, "reduction"))
        squeeze_channels = _count(squeeze_channels, "squeeze_channels")
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1, dtype=dtype)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        scale = F.sigmoid(self.fc2(F.relu(self.fc1(self.avgpool(x)))))
        return x * scale


class BasicBlock(nn.Module):
    """ResNet's basic residual block (He et al., 2016): ``relu(F(x) + shortcut(x))`` with
    ``F = bn2(conv2(relu(bn1(conv1(x)))))``, 3x3 convolutions, the first with ``stride``.

    The shortcut is the identity when the shape is kept, else (``downsample``) a
    1x1 convolution with ``stride`` and batch norm, the projection shortcut.
    ``squeeze_excitation`` adds an SE block on F before the sum (SE-ResNet).
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 squeeze_excitation: bool = False, dtype=None) -> None:
        super().__init__()
        stride = _count(stride, "stride")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False,
                               dtype=dtype)
        self.bn1 = nn.BatchNorm2d(out_channels, dtype=dtype)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False, dtype=dtype)
        self.bn2 = nn.BatchNorm2d(out_channels, dtype=dtype)
        self.se = SqueezeExcitation(out_channels, dtype=dtype) if squeeze_excitation else None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False, dtype=dtype),
                nn.BatchNorm2d(out_channels, dtype=dtype))
        else:
            self.downsample = None

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.se is not None:
            out = self.se(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet(ImageClassifier):
    """A ResNet-style classifier for small images: a 3x3 stem (conv, batch norm, ReLU),
    stages ``layer1, layer2, ...`` of :class:`BasicBlock` s, global average pooling and a
    Linear ``fc``.

    Stage i has ``blocks[i]`` blocks of ``channels[i]`` channels; every stage
    after the first halves the resolution in its first block (stride 2, with a
    projection shortcut). The defaults (16, 32, 64 channels, two blocks each)
    are the CIFAR ResNet-14 of He et al.'s Section 4.2.
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 64), blocks: Sequence[int] = (2, 2, 2),
                 in_channels: int = 1, num_classes: int = 10, *, squeeze_excitation: bool = False,
                 dtype=None) -> None:
        super().__init__()
        channels = [_count(c, "channels") for c in channels]
        blocks = [_count(b, "blocks") for b in blocks]
        if not channels or len(channels) != len(blocks):
            raise ValueError(f"channels and blocks must be non-empty and of equal length, got "
                             f"{len(channels)} and {len(blocks)}")
        self.in_channels = _count(in_channels, "in_channels")
        self.num_classes = _count(num_classes, "num_classes")
        self.conv1 = nn.Conv2d(self.in_channels, channels[0], 3, padding=1, bias=False, dtype=dtype)
        self.bn1 = nn.BatchNorm2d(channels[0], dtype=dtype)
        width = channels[0]
        self.num_stages = len(channels)
        for stage, (out, count) in enumerate(zip(channels, blocks)):
            layers = []
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                layers.append(BasicBlock(width, out, stride, squeeze_excitation=squeeze_excitation,
                                         dtype=dtype))
                width = out
            self.add_module(f"layer{stage + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, self.num_classes, dtype=dtype)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):  # torchvision's initialization
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        for stage in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{stage}")(x)
        return self.fc(self.avgpool(x).flatten(1))


class InceptionModule(nn.Module):
    """The Inception module (Szegedy et al., 2015), torchvision's GoogLeNet layout.

    Four branches over the same input, concatenated by channel:
    1x1 conv (``ch1x1``); 1x1 reduce (``ch3x3red``) then 3x3 conv (``ch3x3``);
    1x1 reduce (``ch5x5red``) then 5x5 conv (``ch5x5``); 3x3 max pooling
    (stride 1, padding 1) then 1x1 conv (``pool_proj``). Each conv is
    followed by ReLU; padding keeps H and W, so the output is
    (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int, *, dtype=None) -> None:
        super().__init__()

        def conv(cin, cout, k):
            return [nn.Conv2d(cin, cout, k, padding=k // 2, dtype=dtype), nn.ReLU()]

        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.branch1 = nn.Sequential(*conv(in_channels, ch1x1, 1))
        self.branch2 = nn.Sequential(*conv(in_channels, ch3x3red, 1), *conv(ch3x3red, ch3x3, 3))
        self.branch3 = nn.Sequential(*conv(in_channels, ch5x5red, 1), *conv(ch5x5red, ch5x5, 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                     *conv(in_channels, pool_proj, 1))

    def forward(self, x: Tensor) -> Tensor:
        return F.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


_ELEMENTWISE = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.SELU, nn.GELU, nn.Softplus,
                nn.Dropout, nn.Identity)


class _FullyConvolutional(ImageClassifier):
    """A classifier whose head was turned into convolutions: (N, C, H', W') images give
    (N, num_classes, h, w) score maps, one score vector per window position, and
    :meth:`predict` gives the (N, h, w) classes."""

    def __init__(self, features: nn.Module, classifier: nn.Sequential, num_classes: int,
                 stride: tuple[int, int], window: tuple[int, int]) -> None:
        super().__init__()
        self.features, self.classifier, self.num_classes = features, classifier, num_classes
        self.stride, self.window = stride, window


def _total_stride(features: nn.Module) -> tuple[int, int]:
    """The product of the strides of the features' convolutions and poolings, per axis."""
    rows = cols = 1
    for module in features.modules():
        if isinstance(module, nn.AdaptiveAvgPool2d):
            raise ValueError("features with adaptive pooling do not slide: their output size "
                             "does not grow with the image")
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            stride = module.stride
            sh, sw = (stride, stride) if isinstance(stride, numbers.Integral) else stride
            rows, cols = rows * int(sh), cols * int(sw)
    return rows, cols


def to_fully_convolutional(model: ImageClassifier, input_shape: Sequence[int]) -> ImageClassifier:
    """The classifier ``model`` (with ``features`` and a ``classifier`` of Flatten, Linear and
    elementwise layers) as a fully convolutional network that slides over larger images.

    ``input_shape`` is the (C, H, W) of the images ``model`` classifies. The
    Linear after Flatten, over features of shape (C', h, w), becomes a
    Conv2d(C', out, (h, w)) with the same weights reshaped to (out, C', h, w)
    (row-major flattening order); every later Linear becomes a 1x1 Conv2d. On
    an image larger than ``input_shape`` the result gives (N, num_classes, rows,
    cols) scores; position (i, j) is the model's output on the crop at rows
    ``i * stride[0]`` ... and columns ``j * stride[1]`` ..., of size
    ``input_shape``, where ``stride`` (an attribute of the result) is the
    features' total downsampling. That holds exactly when the features do not
    zero-pad (e.g. ``LeNet5(image_size=32)``); with padding, windows inside a
    larger image see the neighbouring pixels where the crop saw zeros.
    The weights are copies: training one network does not change the other.
    """
    features, classifier = getattr(model, "features", None), getattr(model, "classifier", None)
    if not isinstance(features, nn.Module) or not isinstance(classifier, nn.Sequential):
        raise ValueError(f"{type(model).__name__} needs a features module and a classifier "
                         f"Sequential (as LeNet5 and VGG have)")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    stride = _total_stride(features)
    dtype = next(model.parameters()).dtype
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            feature_shape = features(Tensor(np.zeros((1, *shape), dtype))).shape[1:]
    finally:
        model.train(was_training)
    if len(feature_shape) != 3:
        raise ValueError(f"the features must give (C, h, w) maps, got shape {feature_shape}")
    layers: list[nn.Module] = []
    kernel = None  # set by Flatten: the first Linear sees the whole (C', h, w) feature map
    for module in classifier:
        if isinstance(module, nn.Flatten):
            if kernel is not None:
                raise ValueError("the classifier flattens twice")
            kernel = feature_shape[1:]
        elif isinstance(module, nn.Linear):
            if kernel is None:
                raise ValueError("the classifier has a Linear before its Flatten")
            conv = nn.Conv2d(module.in_features // (kernel[0] * kernel[1]), module.out_features,
                             kernel, bias=module.bias is not None, dtype=module.weight.dtype)
            conv.weight.data[...] = module.weight.data.reshape(conv.weight.shape)
            if module.bias is not None:
                conv.bias.data[...] = module.bias.data
            layers.append(conv)
            kernel = (1, 1)
        elif isinstance(module, _ELEMENTWISE):
            layers.append(copy.deepcopy(module))
        else:
            raise ValueError(f"cannot turn a {type(module).__name__} of the classifier into a "
                             f"convolution (Flatten, Linear and elementwise layers only)")
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("the classifier has no Linear layer to convert")
    converted = _FullyConvolutional(copy.deepcopy(features), nn.Sequential(*layers),
                                    convs[-1].out_channels, stride, shape[1:])
    return converted.train(was_training)
