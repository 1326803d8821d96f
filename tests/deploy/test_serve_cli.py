"""``lightning-seq serve`` started as a user starts it, in its own process, spoken to over HTTP on loopback."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from lightning_seq.deploy import Predictor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, body: bytes | None = None, key: str | None = None, content_type: str = "application/json"):
    headers = {"Content-Type": content_type} if body is not None else {}
    if key is not None:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_serve_answers_real_http_requests_and_refuses_bad_ones(sentiment_ckpt):
    ckpt = sentiment_ckpt
    texts = ["what a great day", "worst service ever"]
    offline = [a.label for a in Predictor.from_checkpoint(ckpt).predict(texts)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(ckpt, port):
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
    with served(ckpt, port):  # restarted on the same port: the same answers
        status, body = call(f"{url}/predict", json.dumps({"input": texts}).encode(), key="s3cret")
        assert status == 200 and json.loads(body)["predictions"] == first


@contextlib.contextmanager
def served(ckpt, port):
    """``lightning-seq serve`` of ``ckpt`` on ``port`` (key ``s3cret``), answering ``/health``; stopped after."""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LIT_SERVER_API_KEY": "s3cret"}
    server = subprocess.Popen(
        [sys.executable, "-m", "lightning_seq", "serve", "--ckpt_path", str(ckpt), "--port", str(port),
         "--accelerator", "cpu", "--max_batch_size", "8", "--max_input_length", "50"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(f"{url}/health", key="s3cret")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{server.stdout.read() if server.poll() is not None else ''}")
            time.sleep(0.5)
        yield
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_serve_names_a_missing_checkpoint(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lightning_seq", "serve", "--ckpt_path", str(tmp_path / "no.ckpt")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"checkpoint not found: {tmp_path / 'no.ckpt'}" in done.stderr
