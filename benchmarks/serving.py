"""Benchmark: ``lightning-seq serve`` under load, dynamic batching (max 32) against unbatched (max 1).

    python benchmarks/serving.py [--size tiny|default] [--json FILE]

Two recipes, trained briefly on their embedded data in a temporary folder (the architecture is the recipe's; speed
does not depend on how well it learnt): ``sentiment_bilstm`` (texts) and ``audio_keywords_gru`` (one-second clips
sent as base64 WAV). Each checkpoint is served twice, by the real command in its own process on loopback, with
``--max_batch_size 32`` and with ``--max_batch_size 1``. A load generator in this process (one thread and one
keep-alive connection per concurrent client) sends the test split's inputs in turn, for ``seconds`` at each
concurrency, and compares every answer with the predictor's offline answer for the same input (label equal,
probabilities within 1e-4): rows give requests/s, p50/p95/p99 latency, errors (non-200 answers or broken
connections) and mismatches. Then a hostile phase on the batched server: one request in four is bad (malformed
JSON, wrong types, empty or undecodable input, unknown fields), and every valid one must still be answered
correctly, every bad one get a 4xx, and ``/health`` stay 200.

Targets on 2 cores: dynamic batching at least 3x the unbatched throughput at concurrency 32; p99 at most 100 ms at
concurrency 8 (batched server); 0 errors and 0 mismatches anywhere. The client shares the machine's cores with the
server, as a load test on one machine must.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import soundfile

from lightning_seq.cli import run
from lightning_seq.deploy import Predictor

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
SIZES = {
    "tiny": {"seconds": 1.0, "concurrency": [1, 4], "hostile_seconds": 1.0,
             "recipes": {"sentiment_bilstm": 300, "audio_keywords_gru": 60}},
    "default": {"seconds": 20.0, "concurrency": [1, 8, 32], "hostile_seconds": 20.0,
                "recipes": {"sentiment_bilstm": 2000, "audio_keywords_gru": 600}},
}
BATCH_SIZES = (32, 1)
BAD_BODIES = [
    b'{"input": "unclosed',
    json.dumps({"input": ""}).encode(),
    json.dumps({"input": 12}).encode(),
    json.dumps({"text": "no input field"}).encode(),
    json.dumps({"input": {"base64": "%%%"}}).encode(),
    json.dumps({"input": []}).encode(),
]


def wav_base64(samples: Any, rate: int) -> str:
    """A clip as the base64 of a float WAV file."""
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="FLOAT")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def trained(folder: Path, name: str, size: int) -> tuple[Path, list[bytes], list[dict[str, Any]]]:
    """Fit ``name`` for 2 epochs on ``size`` embedded samples; its checkpoint, request bodies and offline answers."""
    recipe = str(ROOT / "recipes" / f"{name}.yaml")
    folder.mkdir(parents=True, exist_ok=True)
    here = Path.cwd()
    os.chdir(folder)  # the recipe writes runs/<name>/... relative to the working folder
    try:
        cli = run(["fit", "--config", recipe, f"--data.init_args.generated_size={size}", "--trainer.max_epochs=2",
                   *QUIET])
    finally:
        os.chdir(here)
    ckpt = folder / cli.trainer.checkpoint_callback.best_model_path
    records = cli.datamodule.split_records("test")
    if name == "sentiment_bilstm":
        raw: list[Any] = [r.text for r in records]
        bodies = [json.dumps({"input": text}).encode() for text in raw]
    else:
        rate = cli.datamodule.sample_rate
        raw = [(r.source.numpy(), rate) for r in records]
        bodies = [json.dumps({"input": {"base64": wav_base64(samples, rate)}}).encode() for samples, _ in raw]
    answers = [a.to_dict() for a in Predictor.from_checkpoint(ckpt).predict(raw)]
    return ckpt, bodies, answers


def free_port() -> int:
    """A port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(ckpt: Path, max_batch_size: int) -> tuple[subprocess.Popen, int]:
    """``lightning-seq serve`` in its own process group; returns once ``/health`` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "lightning_seq", "serve", "--ckpt_path", str(ckpt), "--port", str(port),
               "--accelerator", "cpu", "--max_batch_size", str(max_batch_size), "--batch_timeout", "0.005"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}: {' '.join(command)}")
        try:
            if request(port, "GET", "/health")[0] == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(process)
    raise RuntimeError("the server did not answer /health within 180 s")


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def request(port: int, method: str, path: str, body: bytes | None = None,
            connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    """One HTTP request (on ``connection`` when given, kept alive); the status and body."""
    own = connection is None
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def matches(body: bytes, expected: dict[str, Any]) -> bool:
    """Whether a 200 body holds the offline answer (label equal, probabilities within 1e-4)."""
    (answer,) = json.loads(body)["predictions"]
    if answer["label"] != expected["label"]:
        return False
    return all(abs(answer["probabilities"][k] - p) <= 1e-4 for k, p in expected["probabilities"].items())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in [0, 1])."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def load(port: int, bodies: list[bytes], answers: list[dict[str, Any]], concurrency: int, seconds: float,
         bad_every: int = 0) -> dict[str, Any]:
    """``concurrency`` clients sending for ``seconds``; with ``bad_every`` = k, every k-th request is a bad one."""
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"errors": 0, "mismatches": 0, "bad_sent": 0, "bad_refused": 0}
    deadline = time.monotonic() + seconds

    def client(worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            bad = bad_every and (worker + sent) % bad_every == 0  # a quarter of every client's requests
            index = (worker * 7919 + sent) % len(bodies)
            body = BAD_BODIES[(worker + sent) // bad_every % len(BAD_BODIES)] if bad else bodies[index]
            start = time.perf_counter()
            try:
                status, answer = request(port, "POST", "/predict", body, conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    counts["errors"] += 1
                continue
            elapsed = time.perf_counter() - start
            with lock:
                if bad:
                    counts["bad_sent"] += 1
                    counts["bad_refused"] += 400 <= status < 500
                    continue
                latencies.append(elapsed)
                if status != 200:
                    counts["errors"] += 1
                elif not matches(answer, answers[index]):
                    counts["mismatches"] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(w,)) for w in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    row = {"concurrency": concurrency, "requests": len(latencies), "rps": round(len(latencies) / wall, 1),
           "p50_ms": round(1000 * percentile(latencies, 0.5), 1) if latencies else None,
           "p95_ms": round(1000 * percentile(latencies, 0.95), 1) if latencies else None,
           "p99_ms": round(1000 * percentile(latencies, 0.99), 1) if latencies else None,
           "errors": counts["errors"], "mismatches": counts["mismatches"]}
    if bad_every:
        row.update(bad_sent=counts["bad_sent"], bad_refused=counts["bad_refused"])
    return row


def run_benchmark(size: str) -> dict[str, Any]:
    """Every row, the hostile phase and the verdicts against the targets."""
    settings = SIZES[size]
    rows, hostile = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, samples in settings["recipes"].items():
            ckpt, bodies, answers = trained(Path(tmp) / name, name, samples)
            for max_batch in BATCH_SIZES:
                process, port = start_server(ckpt, max_batch)
                try:
                    for concurrency in settings["concurrency"]:
                        row = load(port, bodies, answers, concurrency, settings["seconds"])
                        rows.append({"recipe": name, "max_batch_size": max_batch, **row})
                        print(json.dumps(rows[-1]), flush=True)
                    if max_batch > 1:
                        phase = load(port, bodies, answers, 8, settings["hostile_seconds"], bad_every=4)
                        phase["health_after"] = request(port, "GET", "/health")[0]
                        hostile[name] = phase
                        print(json.dumps({"recipe": name, "hostile": phase}), flush=True)
                finally:
                    stop_server(process)
    return {"settings": {"size": size, **{k: v for k, v in settings.items() if k != "recipes"},
                         "recipes": settings["recipes"], "cpus": os.cpu_count()},
            "rows": rows, "hostile": hostile, "verdicts": verdicts(rows, hostile, settings["concurrency"])}


def verdicts(rows: list[dict[str, Any]], hostile: dict[str, Any], concurrency: list[int]) -> dict[str, Any]:
    """Each target, its measured value and whether it is met."""
    top, middle = max(concurrency), 8 if 8 in concurrency else max(concurrency)
    out: dict[str, Any] = {}
    for name in sorted({r["recipe"] for r in rows}):
        by = {(r["max_batch_size"], r["concurrency"]): r for r in rows if r["recipe"] == name}
        ratio = by[(32, top)]["rps"] / max(by[(1, top)]["rps"], 1e-9)
        p99 = by[(32, middle)]["p99_ms"]
        out[name] = {
            f"throughput_ratio_at_{top}": {"value": round(ratio, 2), "target": ">= 3", "met": ratio >= 3},
            f"p99_ms_at_{middle}": {"value": p99, "target": "<= 100", "met": p99 is not None and p99 <= 100},
            "errors_and_mismatches": {"value": sum(r["errors"] + r["mismatches"] for r in by.values()),
                                      "target": "0", "met": all(r["errors"] + r["mismatches"] == 0
                                                                for r in by.values())},
        }
        phase = hostile.get(name)
        if phase is not None:
            ok = (phase["errors"] == 0 and phase["mismatches"] == 0 and phase["bad_refused"] == phase["bad_sent"]
                  and phase["health_after"] == 200)
            out[name]["hostile"] = {"value": f"{phase['requests']} valid answered, {phase['bad_refused']}/"
                                             f"{phase['bad_sent']} bad refused with 4xx, /health "
                                             f"{phase['health_after']}", "target": "all", "met": ok}
    return out


def markdown(result: dict[str, Any]) -> str:
    """README's serving table: one line per recipe, batching and concurrency, then the verdicts."""
    lines = ["| recipe | max batch | concurrency | requests/s | p50 ms | p95 ms | p99 ms | errors | mismatches |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| `{r['recipe']}` | {r['max_batch_size']} | {r['concurrency']} | {r['rps']} | {r['p50_ms']} | "
                     f"{r['p95_ms']} | {r['p99_ms']} | {r['errors']} | {r['mismatches']} |")
    lines += ["", "| recipe | target | measured | met |", "|---|---|---|---|"]
    for name, checks in result["verdicts"].items():
        for key, check in checks.items():
            lines.append(f"| `{name}` | {key.replace('_', ' ')} {check['target']} | {check['value']} | "
                         f"{'yes' if check['met'] else '**no**'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args()
    result = run_benchmark(args.size)
    if args.json is not None:
        args.json.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
