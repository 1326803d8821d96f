"""Requests of a few bytes that claim gigabytes, over real HTTP to ``lightning-seq serve``: each is answered by
itself (200 or a 4xx naming the field), the inference worker's peak memory stays within a bound, no worker dies, and
the next valid request is answered as before. Then the same payloads mixed with valid ones in dynamic batches."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient
from litserve.utils import wrap_litserve_start

from lightning_seq.deploy import Predictor
from lightning_seq.deploy.server import build_server
from tests.deploy.hostile import AUDIO, IMAGES, MANY_TEXTS, b64, png
from tests.deploy.http import descendants, free_port, peak_rss_mb, post, served

JSON = {"content-type": "application/json"}
WORKER_GROWTH_MB = 150
"""The most a hostile request may raise any server process's peak resident memory (before: +1 GB for one sample at
4001 Hz, +26 GB asked for at 100003 Hz)."""


def hammer(url, server, payloads, valid, expected):
    """Send every payload, then the valid one; return {name: (status, detail)} and the processes' peak growth."""
    assert post(url, valid)[1]["predictions"] == expected
    processes = descendants(server.pid)
    before = {pid: peak_rss_mb(pid) for pid in processes}
    answers = {}
    for name, payload in payloads.items():
        status, body = post(url, payload)
        answers[name] = (status, body.get("detail"))
        assert post(url, valid) == (200, {"predictions": expected}), f"after {name}"  # still answering, the same
    assert descendants(server.pid) == processes  # no worker died and was replaced
    growth = max(peak_rss_mb(pid) - before[pid] for pid in processes)
    return answers, growth


def test_audio_requests_that_claim_huge_rates_or_lengths_are_answered_in_bounded_memory(keywords_ckpt):
    rate = Predictor.from_checkpoint(keywords_ckpt).inputs.sample_rate
    valid = {"input": {"samples": (np.sin(np.arange(rate) * 0.05) * 0.3).tolist(), "sample_rate": rate}}
    port = free_port()
    with served(keywords_ckpt, port) as server:
        url = f"http://127.0.0.1:{port}"
        expected = post(url, valid)[1]["predictions"]
        answers, growth = hammer(url, server, AUDIO, valid, expected)
    assert growth < WORKER_GROWTH_MB, (growth, answers)
    for name in ("one sample at 100003 Hz (a 6.4 GB resampling kernel before)", "one sample at 4001 Hz"):
        assert answers[name][0] == 200, (name, answers[name])  # valid rates: resampled in bounded memory, answered
    range_error = "the sample rate must be an integer from 1000 to 384000 Hz, got"
    assert answers["a rate of 1 Hz"] == (422, f"input: {range_error} 1")
    assert answers["a rate of 10^9 Hz"] == (422, f"input: {range_error} 1000000000")
    assert answers["a negative rate"] == (422, f"input: {range_error} -8000")
    assert answers["a 401-digit sample"] == (422, "input.samples: a sample is too large for a float (samples lie "
                                                  "in [-1, 1])")
    assert answers["a 46-byte WAV saying 100003 Hz"][0] == 200
    status, detail = answers["a FLAC claiming 2^36 frames"]
    assert status == 422 and detail.startswith("input: ") and "over the server's limit of 10000" in detail, detail
    status, detail = answers["400 s of samples at 1000 Hz, upsampled 8x"]
    assert (status, detail.endswith("over the server's limit of 10000 (max_input_length); refused, not truncated")
            ) == (422, True), detail


def test_image_requests_that_claim_huge_sizes_are_refused_before_decoding(ocr_ckpt):
    line = b64(png(64, 32, rows=None))
    port = free_port()
    with served(ocr_ckpt, port) as server:
        url = f"http://127.0.0.1:{port}"
        valid = {"input": line}
        expected = post(url, valid)[1]["predictions"]
        answers, growth = hammer(url, server, {**IMAGES, "garbage bytes": {"input": b64(b"\x89PNG junk")},
                                               "many inputs": {"input": [line] * 300}}, valid, expected)
    assert growth < WORKER_GROWTH_MB, (growth, answers)
    assert answers["a 1x20000 PNG widened to 32 rows (640000 columns)"] == (
        422, "input: 640000 time steps once encoded, over the server's limit of 10000 (max_input_length); refused, "
             "not truncated")
    for name in ("a PNG header claiming 20000x10000", "a PNG header claiming 30000x30000"):
        status, detail = answers[name]
        assert status == 422 and detail.startswith("input: "), (name, detail)
    assert answers["garbage bytes"][0] == 422 and " at 0x" not in answers["garbage bytes"][1]
    assert answers["many inputs"] == (422, "input: 300 inputs, over the server's limit of 256 "
                                           "(max_inputs_per_request)")


def test_hostile_requests_mixed_into_dynamic_batches_fail_alone(keywords_ckpt, sentiment_ckpt):
    """Each hostile request shares batches with valid ones: the valid ones get the offline answers."""
    predictor = Predictor.from_checkpoint(keywords_ckpt)
    rate = predictor.inputs.sample_rate
    clips = [(np.sin(np.arange(rate) * f) * 0.3).astype(np.float32) for f in (0.02, 0.05, 0.11, 0.2)]
    offline = [a.probabilities for a in predictor.predict([(c, rate) for c in clips])]
    valid = [{"input": {"samples": c.tolist(), "sample_rate": rate}} for c in clips] * 3
    hostile = [payload for name, payload in AUDIO.items() if "100003" not in name and "4001" not in name] * 2
    hostile += [{"input": b64(png(20000, 10000, rows=b""))}, json.loads('{"input": {"samples": [NaN], '
                                                                        '"sample_rate": 8000}}')]
    bodies = [body for pair in zip(valid * 2, hostile, strict=False) for body in pair]
    server = build_server(str(keywords_ckpt), accelerator="cpu", max_batch_size=8, batch_timeout=0.05)
    with wrap_litserve_start(server), TestClient(server.app) as client, ThreadPoolExecutor(16) as pool:
        def send(body):  # Python's json writes NaN, as a careless client would
            return client.post("/predict", content=json.dumps(body).encode(), headers=JSON)

        responses = list(pool.map(send, bodies))
        for body, response in zip(bodies, responses, strict=True):
            if body in valid:
                assert response.status_code == 200, response.text
                (answer,) = response.json()["predictions"]
                assert answer["probabilities"] == pytest.approx(offline[valid.index(body) % 4], abs=1e-4)
            else:
                assert 400 <= response.status_code < 500, (str(body)[:80], response.text)
                assert " at 0x" not in response.text
        assert client.get("/health").status_code == 200
    server = build_server(str(sentiment_ckpt), accelerator="cpu")  # the request count limit, on a text model
    with wrap_litserve_start(server), TestClient(server.app) as client:
        response = client.post("/predict", json=MANY_TEXTS)
        assert (response.status_code, response.json()) == (
            422, {"detail": "input: 300 inputs, over the server's limit of 256 (max_inputs_per_request)"})
        assert client.post("/predict", json={"input": ["a"] * 256}).status_code == 200
