"""`rosenblatt train seq2seq | charlm`: output, --json, --plot, --save and bad options (small runs)."""

import json
import subprocess
import sys

import pytest

from rosenblatt.cli import main


def run_cli(capsys, *args):
    assert main(["train", *args]) == 0
    return capsys.readouterr().out


def test_seq2seq_prints_exact_match_writes_heatmap_and_checkpoint(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png, saved = tmp_path / "attention.png", tmp_path / "seq2seq.safetensors"
    out = run_cli(capsys, "seq2seq", "--train-size", "300", "--test-size", "40", "--epochs", "1",
                  "--hidden", "16", "--beam-width", "2", "--plot", str(png), "--save", str(saved),
                  "--json")
    lines = out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["model"] == "seq2seq-additive" and summary["dataset"] == "dates"
    assert 0 <= summary["test"]["exact_match"] <= 1 and "exact_match_beam2" in summary["test"]
    assert any(line.startswith("test exact_match") for line in lines)
    assert "->" in out and "epoch 1/1" in out
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    from rosenblatt.data import date_translation_split
    from rosenblatt.models import CharLM, Seq2Seq
    from rosenblatt.models.seq2seq import exact_match

    model = Seq2Seq.load(saved)  # rebuilt from the file alone: vocabularies, sizes, weights
    assert model.attention_kind == "additive" and model.hidden_size == 16
    _, test = date_translation_split(300, 40, seed=0)
    assert exact_match(model, test) == pytest.approx(summary["test"]["exact_match"], abs=1e-4)
    with pytest.raises(ValueError, match="does not hold a saved CharLM"):
        CharLM.load(saved)


def test_seq2seq_runs_are_repeatable(capsys):
    args = ["seq2seq", "--train-size", "200", "--test-size", "30", "--epochs", "1", "--hidden", "16",
            "--attention", "dot", "--json"]
    first = json.loads(run_cli(capsys, *args).strip().splitlines()[-1])
    second = json.loads(run_cli(capsys, *args).strip().splitlines()[-1])
    assert first["test"] == second["test"]


def test_charlm_prints_perplexity_and_a_sample(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    saved = tmp_path / "charlm.safetensors"
    out = run_cli(capsys, "charlm", "--max-steps", "4", "--hidden", "32", "--sample-length", "25",
                  "--top-k", "5", "--plot", str(png), "--save", str(saved), "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["model"] == "charlm" and summary["dataset"] == "pydoc"
    assert 1 < summary["test"]["perplexity"] and 15 < summary["test"]["unigram_perplexity"] < 40
    assert "validation perplexity" in out and "sample: 'The " in out
    assert png.stat().st_size > 0
    from rosenblatt.data import load_text_corpus
    from rosenblatt.models import CharLM

    model = CharLM.load(saved)
    assert model.perplexity(load_text_corpus("validation")) == pytest.approx(
        summary["test"]["perplexity"], abs=1e-3)


@pytest.mark.parametrize("args, code, message", [
    (["seq2seq", "--attention", "cosine"], 2, "invalid choice"),
    (["seq2seq", "--epochs", "0"], 2, "must be >= 1"),
    (["charlm", "--top-p", "0"], 2, "must be in (0, 1]"),
    (["seq2seq", "--attention", "none", "--train-size", "20", "--test-size", "5", "--hidden", "8",
      "--plot", "x.png"], 1, "choose an --attention other than none"),
])
def test_bad_options_exit_with_a_message(args, code, message, tmp_path):
    if "--plot" in args:
        pytest.importorskip("matplotlib")
    result = subprocess.run([sys.executable, "-m", "rosenblatt.cli", "train", *args],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == code and message in result.stderr
