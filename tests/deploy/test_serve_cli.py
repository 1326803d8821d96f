"""``lightning-seq serve`` started as a user starts it, in its own process, spoken to over HTTP on loopback."""

import json
import subprocess
import sys

from lightning_seq.deploy import Predictor
from tests.deploy.http import call, free_port, served

LIMITS = ("--max_batch_size", "8", "--max_input_length", "50")


def test_serve_answers_real_http_requests_and_refuses_bad_ones(sentiment_ckpt):
    ckpt = sentiment_ckpt
    texts = ["what a great day", "worst service ever"]
    offline = [a.label for a in Predictor.from_checkpoint(ckpt).predict(texts)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(ckpt, port, *LIMITS):
        status, body = call(f"{url}/predict", json.dumps({"input": texts}).encode(), key="s3cret")
        assert status == 200 and [p["label"] for p in json.loads(body)["predictions"]] == offline
        first = json.loads(body)["predictions"]
        assert call(f"{url}/predict", json.dumps({"input": texts}).encode())[0] in (401, 403)  # no key
        assert call(f"{url}/predict", json.dumps({"input": texts}).encode(), key="wrong")[0] == 401
        status, body = call(f"{url}/predict", b'{"input": ', key="s3cret")
        assert status == 400 and json.loads(body)["detail"].startswith("the body is not valid JSON")
        status, body = call(f"{url}/predict", json.dumps({"input": ["ok", None]}).encode(), key="s3cret")
        assert (status, json.loads(body)) == (422, {"detail": "input[1]: expected a text (string), got null"})
        status, body = call(f"{url}/predict", json.dumps({"input": "x " * 60}).encode(), key="s3cret")
        assert status == 422 and "over the server's limit of 50" in json.loads(body)["detail"]
        status, body = call(f"{url}/info", key="s3cret")
        assert status == 200 and json.loads(body)["model"]["input_kind"] == "text"
        assert call(f"{url}/health", key="s3cret")[0] == 200  # still serving after the bad requests
    with served(ckpt, port, *LIMITS):  # restarted on the same port: the same answers
        status, body = call(f"{url}/predict", json.dumps({"input": texts}).encode(), key="s3cret")
        assert status == 200 and json.loads(body)["predictions"] == first


def test_serve_names_a_missing_checkpoint(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lightning_seq", "serve", "--ckpt_path", str(tmp_path / "no.ckpt")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"checkpoint not found: {tmp_path / 'no.ckpt'}" in done.stderr
