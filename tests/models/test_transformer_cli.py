"""`rosenblatt train transformer | gpt` with small budgets: output, --json, --save, --plot."""

import json
import subprocess
import sys

import pytest

from rosenblatt.cli import main


def run_cli(capsys, *args):
    assert main(["train", *args]) == 0
    return capsys.readouterr().out


def test_train_transformer_prints_exact_match_and_saves(capsys, tmp_path):
    path = tmp_path / "dates.safetensors"
    out = run_cli(capsys, "transformer", "--max-steps", "40", "--train-size", "2000",
                  "--test-size", "50", "--d-model", "32", "--json", "--save", str(path))
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["model"] == "transformer" and summary["dataset"] == "dates"
    assert 0.0 <= summary["test"]["exact_match"] <= 1.0
    assert "test exact_match" in out and " -> " in out
    from rosenblatt.train import load_checkpoint

    extra = load_checkpoint(path, restore_rng=False)["extra"]
    assert "<bos>" in extra["tgt_vocab"]


def test_train_gpt_prints_perplexity_and_a_sample(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "gpt.png"
    out = run_cli(capsys, "gpt", "--max-steps", "30", "--block-size", "32", "--d-model", "32",
                  "--sample-length", "40", "--plot", str(png), "--json", "--seed", "1")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["model"] == "gpt"
    # 30 steps already beat a uniform guess over the ~96 characters
    assert 1 < summary["test"]["perplexity"] < 90 and summary["test"]["unigram_perplexity"] > 10
    assert "sample: " in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_exit_with_a_message():
    result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", "gpt", "--lr", "0"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "must be a finite number > 0" in result.stderr
    result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", "transformer",
                             "--dropout", "1.5"], capture_output=True, text=True)
    assert result.returncode == 2 and "must be in [0, 1)" in result.stderr
