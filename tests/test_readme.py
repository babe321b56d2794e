"""The README's Python examples run as written and do what their comments say."""

import pathlib
import re

import numpy as np
import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def readme_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def run_block(containing: str) -> dict:
    blocks = [b for b in readme_blocks() if containing in b]
    assert len(blocks) == 1, f"expected one README example containing {containing!r}"
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    return namespace


pytestmark = pytest.mark.skipif(not README.exists(), reason="README.md is not beside the tests")


def test_every_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # examples may write files
    assert readme_blocks(), "the README has no Python example"
    for block in readme_blocks():
        exec(compile(block, str(README), "exec"), {})


def test_framework_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns = run_block("rb.train.fit")
    np.testing.assert_allclose(ns["w"].grad.numpy(), 2 * ns["w"].detach().numpy(), rtol=1e-6)
    assert ns["history"]["val_accuracy"][-1] >= 0.93
    assert (tmp_path / "digits.safetensors").stat().st_size > 0


def test_kernel_example():
    ns = run_block("kernels.cross_entropy")
    assert ns["h"].shape == (256, 512) and (ns["h"] >= 0).all()
    assert ns["loss"] > 0 and ns["dlogits"].shape == (256, 10)


def test_classic_example():
    ns = run_block("rosenblatt.classic")
    assert ns["accuracy"] >= 0.98
    assert ns["clusters"].shape == (1797,) and set(ns["clusters"]) == set(range(10))
