"""`rosenblatt train cnn` and `rosenblatt saliency`: options, checkpoints with their metadata,
PNGs, and one-line errors for bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.cli import build_parser, main


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def png_header(path):
    with open(path, "rb") as file:
        return file.read(8)


def test_defaults_are_lenet_on_mnist5k():
    args = build_parser().parse_args(["train", "cnn"])
    assert (args.model, args.dataset, args.epochs, args.lr, args.batch_size) == \
        ("lenet", "mnist5k", None, None, None)
    args = build_parser().parse_args(["saliency", "--checkpoint", "x.safetensors"])
    assert (args.output, args.count) == ("saliency.png", 8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A LeNet-5 trained for two epochs on digits by the CLI, saved with --save."""
    folder = tmp_path_factory.mktemp("cnn")
    path = folder / "lenet.safetensors"
    out = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", "cnn", "--dataset",
                          "digits", "--epochs", "3", "--lr", "0.01", "--seed", "1", "--save", str(path),
                          "--json"], capture_output=True, text=True, check=True).stdout
    return path, last_json(out)


def test_train_cnn_saves_a_checkpoint_with_its_metadata(trained):
    path, summary = trained
    assert summary["model"] == "lenet" and summary["dataset"] == "digits" and summary["epochs"] == 3
    assert summary["test"]["accuracy"] > 0.8
    from rosenblatt.models.cnn_commands import image_split, load_trained
    from rosenblatt.train import load_checkpoint

    extra = load_checkpoint(path)["extra"]
    assert extra["family"] == "cnn" and extra["model"] == "lenet" and extra["image_size"] == 8
    model, meta = load_trained(str(path))
    _, X_test, _, y_test, _ = image_split("digits")
    assert (model.predict(X_test) == y_test).mean() == pytest.approx(summary["test"]["accuracy"],
                                                                   abs=1e-4)


def test_saliency_writes_a_png(trained, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "maps.png"
    assert main(["saliency", "--checkpoint", str(trained[0]), "--output", str(png), "--count", "5"]) == 0
    assert png_header(png) == b"\x89PNG\r\n\x1a\n"
    assert "saliency maps of 5 digits test images" in capsys.readouterr().out


def test_train_cnn_resnet_with_a_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "curves.png"
    path = tmp_path / "resnet.safetensors"
    assert main(["train", "cnn", "--model", "resnet", "--dataset", "digits", "--epochs", "1",
                 "--plot", str(png), "--save", str(path), "--json"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert summary["model"] == "resnet" and 0 <= summary["test"]["accuracy"] <= 1
    assert png_header(png) == b"\x89PNG\r\n\x1a\n"
    # a checkpoint with batch-norm buffers loads back for saliency
    assert main(["saliency", "--checkpoint", str(path), "--output", str(tmp_path / "s.png"),
                 "--count", "2"]) == 0


def test_train_cnn_vgg(capsys):
    assert main(["train", "cnn", "--model", "vgg", "--dataset", "digits", "--epochs", "2",
                 "--json"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert summary["model"] == "vgg" and summary["epochs"] == 2 and summary["test"]["accuracy"] > 0.8


def run_saliency(*args):
    return subprocess.run([sys.executable, "-m", "rosenblatt.cli", "saliency", *args],
                          capture_output=True, text=True)


def test_saliency_errors_are_one_line(tmp_path):
    result = run_saliency("--checkpoint", str(tmp_path / "missing.safetensors"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"rosenblatt: error: checkpoint {tmp_path / 'missing.safetensors'} does not exist"]
    # a checkpoint of another model family
    from rosenblatt.models import MLPClassifier
    from rosenblatt.train import save_checkpoint

    other = tmp_path / "mlp.safetensors"
    save_checkpoint(other, MLPClassifier(64, (8,), 10), epoch=1)
    result = run_saliency("--checkpoint", str(other))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "was not written by 'rosenblatt train cnn'" in result.stderr
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a checkpoint at all")
    result = run_saliency("--checkpoint", str(garbage))
    assert result.returncode == 1 and result.stderr.startswith("rosenblatt: error: checkpoint")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_checkpoint_that_does_not_fit_its_metadata(tmp_path, capsys):
    from rosenblatt.models import LeNet5
    from rosenblatt.train import save_checkpoint

    path = tmp_path / "mislabelled.safetensors"
    save_checkpoint(path, LeNet5(1, 10, 28), extra={"family": "cnn", "model": "resnet",
                                                     "dataset": "digits", "image_size": 8,
                                                     "num_classes": 10})
    with pytest.raises(SystemExit) as exit_info:
        main(["saliency", "--checkpoint", str(path)])
    assert exit_info.value.code == 1
    assert "does not fit the model (ResNet)" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["train", "cnn", "--model", "alexnet"], "argument --model: invalid choice"),
    (["train", "cnn", "--dataset", "cifar"], "argument --dataset: invalid choice"),
    (["train", "cnn", "--epochs", "0"], "argument --epochs: must be >= 1"),
    (["train", "cnn", "--lr", "nan"], "argument --lr: must be a finite number > 0"),
    (["saliency"], "the following arguments are required: --checkpoint"),
    (["saliency", "--checkpoint", "x", "--count", "0"], "argument --count: must be >= 1"),
    (["saliency", "--checkpoint", "x", "--output", "/nonexistent-folder/s.png"],
     "folder /nonexistent-folder does not exist"),
])
def test_bad_options_are_refused(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_runs_are_repeatable(capsys):
    rb.manual_seed(123)  # the command seeds itself
    first = main(["train", "cnn", "--dataset", "digits", "--epochs", "1", "--json"])
    out1 = last_json(capsys.readouterr().out)
    second = main(["train", "cnn", "--dataset", "digits", "--epochs", "1", "--json"])
    out2 = last_json(capsys.readouterr().out)
    assert first == second == 0 and out1["test"] == out2["test"]
    assert np.isfinite(out1["test"]["accuracy"])
