"""``rosenblatt train cnn`` and ``rosenblatt saliency``: convolutional classifiers on bundled images.

``train cnn`` trains LeNet-5 (or ``--model vgg|resnet``) on the fixed 80/20
split of ``--dataset mnist5k|digits`` (4,000 / 1,000 MNIST images of 28x28;
1,437 / 360 digits of 8x8), images as (N, 1, H, W) with pixels in [0, 1],
with Adam and a cosine-annealed learning rate, a progress bar, and with
``--plot`` the loss and accuracy curves. ``--save`` writes a checkpoint whose
``extra`` metadata records the family, model, dataset and image size, which
``rosenblatt saliency --checkpoint FILE`` reads to rebuild the network and
draw the saliency maps of test images.
"""

from __future__ import annotations

import argparse
import math
import os
import time

from rosenblatt.cli import nonnegative_float, positive_float, positive_int

FAMILY = "cnn"
MODELS = ("lenet", "vgg", "resnet")
DATASETS = ("mnist5k", "digits")
# Training options by model when not given on the command line. LeNet-5's reach 0.975-0.978
# on mnist5k over seeds 0-2 (the issue asks for 0.97); the ResNet's 0.989 on digits (0.98).
DEFAULTS = {
    "lenet": {"epochs": 20, "lr": 1e-3, "batch_size": 32, "weight_decay": 5e-4},
    "vgg": {"epochs": 8, "lr": 1e-3, "batch_size": 64, "weight_decay": 5e-4},
    "resnet": {"epochs": 10, "lr": 3e-3, "batch_size": 64, "weight_decay": 0.0},
}


def build_model(name: str, image_size: int, num_classes: int):
    """The network ``name`` (lenet, vgg, resnet) for one-channel images of ``image_size``."""
    from rosenblatt.models.cnn import VGG, LeNet5, ResNet

    if name == "lenet":
        return LeNet5(1, num_classes, image_size)
    if name == "vgg":
        return VGG(in_channels=1, num_classes=num_classes, image_size=image_size)
    if name == "resnet":
        return ResNet(in_channels=1, num_classes=num_classes)
    raise ValueError(f"unknown CNN model {name!r}; choose one of {', '.join(MODELS)}")


def image_split(dataset: str):
    """(X_train, X_test, y_train, y_test, image size): :func:`prepared_split` as (N, 1, H, W)."""
    from rosenblatt.models.commands import prepared_split

    X_train, X_test, y_train, y_test = prepared_split(dataset)
    size = math.isqrt(X_train.shape[1])
    if size * size != X_train.shape[1]:
        raise ValueError(f"dataset {dataset!r} does not hold square images ({X_train.shape[1]} pixels)")
    return (X_train.reshape(-1, 1, size, size), X_test.reshape(-1, 1, size, size), y_train, y_test,
            size)


def _train_cnn(args: argparse.Namespace) -> int:
    import rosenblatt as rb
    from rosenblatt.cli import report
    from rosenblatt.models.commands import train_classifier
    from rosenblatt.train import save_checkpoint

    options = {name: DEFAULTS[args.model][name] if getattr(args, name) is None else getattr(args, name)
               for name in ("epochs", "lr", "batch_size", "weight_decay")}
    rb.manual_seed(args.seed)
    start = time.perf_counter()
    X_train, X_test, y_train, y_test, size = image_split(args.dataset)
    num_classes = int(y_train.max()) + 1
    model = build_model(args.model, size, num_classes)
    accuracy, _ = train_classifier(model, X_train, y_train, X_test, y_test, plot=args.plot,
                                   **options)
    if args.save:
        save_checkpoint(args.save, model, epoch=options["epochs"],
                        extra={"family": FAMILY, "model": args.model, "dataset": args.dataset,
                               "image_size": size, "num_classes": num_classes,
                               "test_accuracy": round(accuracy, 4)})
    report(args, model=args.model, dataset=args.dataset, epochs=options["epochs"],
           test={"accuracy": round(accuracy, 4)}, seconds=time.perf_counter() - start)
    return 0


def load_trained(path: str):
    """(model, metadata) from a checkpoint written by ``rosenblatt train cnn --save``."""
    from rosenblatt.train import load_checkpoint

    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path} does not exist" if not os.path.exists(path)
                         else f"checkpoint {path} is not a file")
    meta = load_checkpoint(path)["extra"]
    if not isinstance(meta, dict) or meta.get("family") != FAMILY:
        raise ValueError(f"checkpoint {path} was not written by 'rosenblatt train cnn' "
                         f"(its metadata names no CNN model)")
    if meta.get("model") not in MODELS or meta.get("dataset") not in DATASETS:
        raise ValueError(f"checkpoint {path} names an unknown model {meta.get('model')!r} or "
                         f"dataset {meta.get('dataset')!r}")
    model = build_model(meta["model"], int(meta["image_size"]), int(meta["num_classes"]))
    load_checkpoint(path, model, restore_rng=False)
    return model, meta


def _saliency(args: argparse.Namespace) -> int:
    from rosenblatt.models.saliency import plot_saliency, saliency_map

    model, meta = load_trained(args.checkpoint)
    _, X_test, _, y_test, _ = image_split(meta["dataset"])
    images, labels = X_test[:args.count], y_test[:args.count]
    predicted = model.predict(images)
    maps = saliency_map(model, images, target=predicted)
    titles = [f"{label} -> {guess}" for label, guess in zip(labels, predicted)]
    plot_saliency(args.output, images, maps, titles,
                  title=f"{meta['model']} on {meta['dataset']}: saliency of the predicted class "
                        f"(label -> prediction)")
    print(f"wrote {args.output}: saliency maps of {len(images)} {meta['dataset']} test images, "
          f"{int((predicted == labels).sum())} classified correctly")
    return 0


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add ``rosenblatt train cnn``."""
    help_text = "convolutional classifier (LeNet-5, VGG- or ResNet-style) on bundled images"
    parser = commands.add_parser(FAMILY, parents=[common], help=help_text, description=help_text)
    parser.add_argument("--model", choices=MODELS, default="lenet", help="network (default lenet)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist5k",
                        help="bundled dataset (default mnist5k)")
    def by_model(name: str) -> str:
        return "default by model: " + ", ".join(f"{model} {options[name]:g}"
                                                for model, options in DEFAULTS.items())

    parser.add_argument("--epochs", type=positive_int,
                        help=f"passes over the training set ({by_model('epochs')})")
    parser.add_argument("--lr", type=positive_float,
                        help=f"Adam learning rate, cosine-annealed to 0 ({by_model('lr')})")
    parser.add_argument("--batch-size", type=positive_int,
                        help=f"minibatch size ({by_model('batch_size')})")
    parser.add_argument("--weight-decay", type=nonnegative_float,
                        help=f"L2 penalty coefficient ({by_model('weight_decay')})")
    parser.set_defaults(run=_train_cnn)


def register_saliency(commands) -> None:
    """Add the top-level ``rosenblatt saliency`` command."""
    from rosenblatt.cli import _output_path

    help_text = "saliency maps of test images for a CNN saved by 'rosenblatt train cnn --save'"
    parser = commands.add_parser("saliency", help=help_text, description=help_text)
    parser.add_argument("--checkpoint", required=True, metavar="FILE",
                        help="checkpoint written by 'rosenblatt train cnn --save FILE'")
    parser.add_argument("--output", type=_output_path, default="saliency.png", metavar="PNG",
                        help="PNG to write (default saliency.png)")
    parser.add_argument("--count", type=positive_int, default=8,
                        help="number of test images (default 8)")
    parser.set_defaults(run=_saliency)
