"""`rosenblatt train mlp|logistic|perceptron`: progress, test accuracy, --json, --save, --plot."""

import json
import subprocess
import sys

import numpy as np
import pytest

import rosenblatt as rb
from rosenblatt.cli import main


def run_cli(capsys, *args):
    assert main(["train", *args]) == 0
    return capsys.readouterr().out


def test_train_mlp_json_summary_is_the_last_line(capsys, tmp_path):
    out = run_cli(capsys, "mlp", "--epochs", "3", "--json", "--save", str(tmp_path / "mlp.safetensors"))
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["model"] == "mlp" and summary["dataset"] == "digits" and summary["epochs"] == 3
    assert summary["test"]["accuracy"] > 0.85 and summary["seconds"] > 0
    assert (tmp_path / "mlp.safetensors").stat().st_size > 0


def test_train_logistic_and_saved_checkpoint_reloads(capsys, tmp_path):
    path = tmp_path / "logistic.safetensors"
    out = run_cli(capsys, "logistic", "--epochs", "2", "--lr", "0.05", "--batch-size", "32",
                  "--seed", "3", "--save", str(path), "--json")
    accuracy = json.loads(out.strip().splitlines()[-1])["test"]["accuracy"]
    from rosenblatt.models import LogisticRegression
    from rosenblatt.models.commands import prepared_split
    from rosenblatt.train import load_checkpoint

    model = LogisticRegression(64, 10)
    load_checkpoint(path, model)
    _, X_test, _, y_test = prepared_split("digits")
    assert (model.predict(rb.Tensor(X_test)) == y_test).mean() == pytest.approx(accuracy, abs=1e-4)


def test_train_perceptron_with_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "perceptron.png"
    out = run_cli(capsys, "perceptron", "--epochs", "5", "--plot", str(png), "--json")
    assert json.loads(out.strip().splitlines()[-1])["model"] == "perceptron"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_exit_with_a_message():
    result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", "mlp", "--epochs", "0"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "must be >= 1" in result.stderr
    result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", "mlp", "--dataset",
                             "cifar"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_runs_are_repeatable(capsys):
    first = json.loads(run_cli(capsys, "mlp", "--epochs", "1", "--json").strip().splitlines()[-1])
    second = json.loads(run_cli(capsys, "mlp", "--epochs", "1", "--json").strip().splitlines()[-1])
    assert first["test"] == second["test"]
    assert np.isfinite(first["test"]["accuracy"])


@pytest.mark.parametrize("args, message", [
    (["--dropout", "1.5"], "argument --dropout: must be in [0, 1)"),
    (["--activation", "swish"], "argument --activation: invalid choice"),
    (["--weight-decay", "nan"], "argument --weight-decay: must be a finite number >= 0"),
    (["--lr", "-1"], "argument --lr: must be a finite number > 0"),
    (["--save", "/nonexistent-folder/model.safetensors"], "folder /nonexistent-folder does not exist"),
])
def test_bad_options_are_refused_before_training(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mlp", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_errors_while_running_are_one_line_messages(capsys, monkeypatch):
    import rosenblatt.models.commands as commands

    def unreadable(name):
        raise OSError(f"cannot read dataset {name}")

    monkeypatch.setattr(commands, "prepared_split", unreadable)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mlp"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "rosenblatt: error: cannot read dataset digits\n"


def test_plot_without_matplotlib_is_refused_before_training(capsys, monkeypatch, tmp_path):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else find_spec(name, *a))
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "mlp", "--plot", str(tmp_path / "curves.png")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--plot needs matplotlib" in err and "epoch" not in err
