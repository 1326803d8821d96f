"""``lightning-seq serve`` stops when told to: SIGTERM under load answers the requests in flight, ends every process
the server started and frees the port, also after an inference worker was killed (and restarted); the API key is
checked, in constant time, before any body is read; ``--host`` values LitServe cannot bind are refused by name."""

import asyncio
import os
import signal
import socket
import threading
import time
import urllib.error

import pytest

from lightning_seq.deploy.gate import RequestGate
from lightning_seq.deploy.serve_cli import parser
from tests.deploy.http import KEY, alive, call, command_line, descendants, free_port, port_is_free, post, served


def under_load(url: str, stop: threading.Event, results: list) -> None:
    while not stop.is_set():
        try:
            results.append(post(url, {"input": ["what a great day", "worst service ever"]})[0])
        except (urllib.error.URLError, ConnectionError, OSError) as err:
            results.append(type(err).__name__)
            time.sleep(0.05)


def stop_under_load(server, url: str, port: int, family: list[int]) -> list:
    """SIGTERM the serve process while four clients send requests; every process it started must end."""
    stop, results = threading.Event(), []
    clients = [threading.Thread(target=under_load, args=(url, stop, results)) for _ in range(4)]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 60
    while sum(r == 200 for r in results) < 20:
        assert time.monotonic() < deadline, results[-5:]
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGTERM)  # the serve process only, as a service manager or `kill PID` does
    try:
        server.wait(timeout=60)
    finally:
        stop.set()
        for client in clients:
            client.join()
    output = server.stdout.read()
    assert server.returncode == 0, output[-3000:]
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [(pid, command_line(pid)) for pid in family if alive(pid)]
    assert not left, left
    assert port_is_free(port)
    assert {r for r in results if isinstance(r, int)} == {200}, sorted(set(map(str, results)))
    return results


def test_sigterm_under_load_answers_what_is_in_flight_and_ends_every_process(sentiment_ckpt):
    port = free_port()
    with served(sentiment_ckpt, port, "--shutdown_timeout", "10") as server:
        family = descendants(server.pid)
        assert len(family) >= 3, [command_line(p) for p in family]  # queue manager, HTTP process, inference worker
        stop_under_load(server, f"http://127.0.0.1:{port}", port, family)
    with served(sentiment_ckpt, port) as server:  # the port binds again, for a server that answers
        assert post(f"http://127.0.0.1:{port}", {"input": "what a great day"})[0] == 200


def test_a_killed_worker_is_restarted_and_sigterm_still_ends_everything(sentiment_ckpt):
    port = free_port()
    with served(sentiment_ckpt, port, "--host", "localhost", "--shutdown_timeout", "10") as server:
        url = f"http://127.0.0.1:{port}"
        (worker,) = [p for p in descendants(server.pid) if "spawn_main" in command_line(p)
                     and "resource_tracker" not in command_line(p)]
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while True:  # LitServe's monitor starts a new worker; until it is up requests may fail
            try:
                if post(url, {"input": "what a great day"}, key=KEY)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            assert time.monotonic() < deadline and server.poll() is None, "no worker answers after the kill"
            time.sleep(0.5)
        family = descendants(server.pid)
        assert worker not in family
        stop_under_load(server, url, port, family)


def test_the_api_key_is_checked_before_the_body_is_read_on_every_route(sentiment_ckpt):
    port = free_port()
    with served(sentiment_ckpt, port, "--max_request_bytes", "1000"):
        url = f"http://127.0.0.1:{port}"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:  # a body announced, never sent
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 5000000\r\nX-API-Key: wrong\r\n\r\n")
            assert sock.recv(4096).split(b"\r\n", 1)[0] == b"HTTP/1.1 401 Unauthorized"
        assert call(f"{url}/predict", b"x" * 5000, key="nope")[0] == 401  # not 413: the key comes first
        for route in ("/health", "/info"):
            assert call(f"{url}{route}")[0] == 401 and call(f"{url}{route}", key="s3cre")[0] == 401
            assert call(f"{url}{route}", key=KEY)[0] == 200


def test_the_key_is_compared_in_constant_time(monkeypatch):
    compared = []

    def compare(given, wanted):
        compared.append((given, wanted))
        return given == wanted

    monkeypatch.setattr("lightning_seq.deploy.gate.hmac.compare_digest", compare)
    sent = []

    async def app(scope, receive, send):
        sent.append("app")

    async def send(message):
        sent.append(message.get("status"))

    gate = RequestGate(app, path="/predict", max_bytes=10, api_key=KEY)
    for key in (b"s3cret", b"s3crex"):
        scope = {"type": "http", "path": "/health", "method": "GET", "headers": [(b"x-api-key", key)]}
        asyncio.run(gate(scope, None, send))
    assert compared == [(b"s3cret", b"s3cret"), (b"s3crex", b"s3cret")] and sent == ["app", 401, None]


@pytest.mark.parametrize("host", ["10.1.2.3", "example.org", ""])
def test_hosts_litserve_cannot_bind_are_refused_by_name(host, capsys):
    with pytest.raises(SystemExit) as stopped:
        parser().parse_args(["--ckpt_path", "model.ckpt", "--host", host])
    assert stopped.value.code == 2
    assert (f"argument --host: {host!r} cannot be served: give 127.0.0.1 or localhost (this machine only), 0.0.0.0 "
            f"(every IPv4 interface) or :: (every interface)") in capsys.readouterr().err
    assert parser().parse_args(["--ckpt_path", "m", "--host", "localhost"]).host == "127.0.0.1"
