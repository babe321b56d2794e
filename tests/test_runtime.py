"""rb.info, thread control, SIMD selection and the rosenblatt command."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

import rosenblatt as rb
from rosenblatt import _C


def run_python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_info_reports_the_build():
    report = rb.info()
    assert report["version"] == rb.__version__
    assert report["compiler"]
    assert "baseline" in report["simd_compiled"]
    assert report["simd_active"] in report["simd_supported"]
    assert set(report["simd_supported"]) <= set(report["simd_compiled"])
    assert report["num_threads"] == rb.get_num_threads() >= 1
    assert isinstance(report["cuda_built"], bool) and isinstance(report["gpu_available"], bool)
    assert report["gpu_available"] <= report["cuda_built"]


def test_set_num_threads_round_trips():
    before = rb.get_num_threads()
    try:
        rb.set_num_threads(3)
        assert rb.get_num_threads() == 3
        assert rb.info()["num_threads"] == 3
    finally:
        rb.set_num_threads(before)


@pytest.mark.parametrize("bad,error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                       ("2", TypeError), (None, TypeError)])
def test_set_num_threads_rejects_bad_counts(bad, error):
    with pytest.raises(error, match="n must be|num_threads must be"):
        rb.set_num_threads(bad)


def test_rb_num_threads_environment_variable():
    result = run_python("import rosenblatt as rb; print(rb.get_num_threads())", RB_NUM_THREADS="3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
    result = run_python("import rosenblatt", RB_NUM_THREADS="lots")
    assert result.returncode != 0
    assert "RB_NUM_THREADS must be a positive integer" in result.stderr


def test_openmp_spin_count_is_set_only_while_the_kernels_load():
    # The bounded spin applies to our libgomp alone: the variable is gone after
    # the import (so PyTorch loaded later keeps its own default) ...
    code = "import os, rosenblatt; print(os.environ.get('GOMP_SPINCOUNT'))"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
    # ... and a user's own choice is left as it is.
    result = run_python(code, GOMP_SPINCOUNT="77")
    assert result.stdout.strip() == "77"
    result = run_python(code, OMP_WAIT_POLICY="active")
    assert result.stdout.strip() == "None"


def test_openmp_spin_count_is_in_the_environment_while_the_module_loads(monkeypatch):
    from rosenblatt import _openmp

    seen = []
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(_openmp.importlib, "import_module",
                        lambda name: seen.append((name, os.environ.get("GOMP_SPINCOUNT"))))
    _openmp.load_native_module()
    assert seen == [("rosenblatt._C", _openmp.SPIN_COUNT)]
    assert "GOMP_SPINCOUNT" not in os.environ


@pytest.mark.parametrize("name", _C.supported_isas())
def test_rb_simd_forces_a_path(name):
    result = run_python("import rosenblatt as rb; print(rb.info()['simd_active'])", RB_SIMD=name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == name


def test_rb_simd_rejects_unknown_paths():
    result = run_python("import rosenblatt", RB_SIMD="sse9")
    assert result.returncode != 0
    assert "unknown SIMD path 'sse9'" in result.stderr


def test_set_isa_rejects_unknown_and_unsupported():
    with pytest.raises(ValueError, match="unknown SIMD path"):
        _C.set_isa("neon")
    unsupported = set(_C.compiled_isas()) - set(_C.supported_isas())
    for name in unsupported:  # only on a CPU older than the build's best path
        with pytest.raises(ValueError, match="not available here"):
            _C.set_isa(name)


def rosenblatt_command():
    exe = shutil.which("rosenblatt", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "rosenblatt.cli"]


def test_cli_info_prints_json_and_text():
    result = subprocess.run(rosenblatt_command() + ["info", "--json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == rb.__version__
    result = subprocess.run(rosenblatt_command() + ["info"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "simd_active" in result.stdout


def test_cli_bench_prints_a_table():
    result = subprocess.run(
        rosenblatt_command() + ["bench", "--only", "softmax", "--quick", "--rounds", "1"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Machine: ")
    assert "| case | rosenblatt | numpy" in result.stdout


def test_cli_rejects_bad_arguments():
    result = subprocess.run(rosenblatt_command() + ["bench", "--threads", "0"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "must be >= 1" in result.stderr


def test_bench_warms_each_candidate_up_for_warmup_s_before_every_sample():
    # After its pause, a candidate runs untimed for warmup_s, not for one
    # sample: this machine runs the first tens of milliseconds after a pause
    # at about half speed, which one 13 ms call did not absorb.
    from rosenblatt.bench.common import Case, run_case

    calls = []

    def candidate():
        calls.append(time.perf_counter())
        time.sleep(0.005)

    run_case(Case("sleep", {"rosenblatt": candidate}), rounds=2, min_sample_s=0.004,
             settle_s=0.0, warmup_s=0.05)
    # warm-up before calibration (>= 0.05 s), calibration (1 call), then per
    # round >= 0.05 s untimed plus one timed call: at least 3 x 8 calls.
    assert len(calls) >= 3 * 8
    assert calls[-1] - calls[0] >= 3 * 0.05
