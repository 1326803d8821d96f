"""The benchmark suite runs at tiny size and emits valid JSON, so it cannot rot (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {"lightning_overhead", "length_handling", "fused_vs_loop", "seq2seq_decoding", "ctc_decoding",
              "audio_features", "memory"}


def run_script(name, *args):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    stdout = run_script("run.py", "--size", "tiny", "--out", str(out), "--markdown")
    return json.loads(out.read_text(encoding="utf-8")), stdout


def test_every_benchmark_runs_and_reports_table_rows(suite):
    results, stdout = suite
    assert set(results["precisions"]["fp32"]) == BENCHMARKS
    for name, result in results["precisions"]["fp32"].items():
        assert result["benchmark"] == name and result["rows"], name
        for r in result["rows"]:
            assert set(r) == {"benchmark", "metric", "library", "baseline", "ratio", "target", "met"}
            assert isinstance(r["met"], bool) and r["ratio"] >= 0
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + sum(len(r["rows"]) for r in results["precisions"]["fp32"].values())


def test_correctness_checks_hold_even_at_tiny_size(suite):
    results = suite[0]["precisions"]["fp32"]
    assert results["lightning_overhead"]["max_loss_diff"] <= 1e-5
    assert max(results["length_handling"]["max_abs_diff_vs_packed"].values()) <= 1e-5
    assert results["fused_vs_loop"]["LSTM"]["max_abs_diff_vs_cell_loop"] <= 1e-5
    assert results["fused_vs_loop"]["GRU"]["max_abs_diff_vs_cell_loop"] <= 1e-5
    assert results["seq2seq_decoding"]["greedy"]["identical_outputs"]
    assert results["seq2seq_decoding"]["beam"]["identical_outputs"]
    assert 0.0 <= results["ctc_decoding"]["cer"]["beam"] and 0.0 <= results["ctc_decoding"]["cer"]["greedy"]
    assert results["memory"]["peak_rss_mb"]["library"] > 0


def test_a_benchmark_script_runs_on_its_own():
    result = json.loads(run_script("ctc_decoding.py", "--size", "tiny").strip().splitlines()[-1])
    assert result["benchmark"] == "ctc_decoding" and set(result["ms_per_100_frames"]) == {"greedy", "beam"}


def test_unknown_benchmark_names_are_refused():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nope"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "unknown benchmarks ['nope']" in done.stderr


def test_bag_of_words_baseline_runs():
    result = json.loads(run_script("bow_baseline.py", "--size", "200").strip().splitlines()[-1])
    assert set(result["test_accuracy"]) == {"bow_logistic_regression", "bow_mlp"}
    assert all(0.0 <= acc <= 1.0 for acc in result["test_accuracy"].values())
