"""The README's Python example runs as written."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.skipif(not README.exists(), reason="README.md is not beside the tests")
def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    for block in blocks:
        namespace = {}
        exec(compile(block, str(README), "exec"), namespace)
    # the kernel-API example: a fused layer, a product and the fused loss
    assert namespace["h"].shape == (256, 512) and (namespace["h"] >= 0).all()
    assert namespace["loss"] > 0 and namespace["dlogits"].shape == (256, 10)
