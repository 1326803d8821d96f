"""Benchmarks run at tiny size and print valid JSON, so they cannot rot (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(name, *args):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_encoder_padding_benchmark_is_exact_at_tiny_size():
    result = run_script("encoder_padding.py", "--batch", "4", "--hidden", "8", "--max-len", "20", "--repeats", "1")
    assert set(result["median_s"]) == {"library", "padded_nn_lstm", "packed_nn_lstm"}
    assert max(result["max_abs_diff_vs_packed"].values()) < 1e-5


def test_bag_of_words_baseline_runs():
    result = run_script("bow_baseline.py", "--size", "200")
    assert set(result["test_accuracy"]) == {"bow_logistic_regression", "bow_mlp"}
    assert all(0.0 <= acc <= 1.0 for acc in result["test_accuracy"].values())


def test_ctc_decoding_benchmark_runs():
    result = run_script(
        "ctc_decoding.py", "--batch", "2", "--frames", "10", "--vocab", "5", "--beam", "3", "--repeats", "1"
    )
    assert set(result["ms_per_utterance"]) == {"greedy", "beam"} and 0.0 <= result["beam_equals_greedy"] <= 1.0


def test_seq2seq_decoding_benchmark_outputs_are_identical():
    result = run_script("seq2seq_decoding.py", "--batch", "4", "--max-length", "5", "--repeats", "1")
    assert result["greedy"]["identical_outputs"] and result["beam"]["identical_outputs"]
