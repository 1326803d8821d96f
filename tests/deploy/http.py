"""``lightning-seq serve`` started as a user starts it, in its own process, and spoken to over HTTP on loopback;
the processes it started, read from ``/proc``."""

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
from pathlib import Path

import pytest

KEY = "s3cret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, body: bytes | None = None, key: str | None = None, content_type: str = "application/json",
         timeout: float = 60):
    headers = {"Content-Type": content_type} if body is not None else {}
    if key is not None:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def post(url: str, payload, key: str | None = KEY) -> tuple[int, dict]:
    status, body = call(f"{url}/predict", json.dumps(payload).encode(), key=key)
    return status, json.loads(body)


def children_of() -> dict[int, list[int]]:
    """Every live process's children, by parent pid (zombies left out)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = children_of(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def port_is_free(port: int) -> bool:
    """Whether a server may listen on ``port`` again (SO_REUSEADDR, as uvicorn binds: connections in TIME_WAIT
    from the clients do not hold it, a listening socket does)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


@contextlib.contextmanager
def served(ckpt, port, *options: str, key: str | None = KEY):
    """``lightning-seq serve`` of ``ckpt`` on ``port`` (with ``key``), answering ``/health``; yields its process,
    which is stopped after (SIGTERM to its group, then SIGKILL)."""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("LIT_SERVER_API_KEY", None)
    if key is not None:
        env["LIT_SERVER_API_KEY"] = key
    server = subprocess.Popen(
        [sys.executable, "-m", "lightning_seq", "serve", "--ckpt_path", str(ckpt), "--port", str(port),
         "--accelerator", "cpu", *options],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call(f"{url}/health", key=key, timeout=5)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{server.stdout.read() if server.poll() is not None else ''}")
            time.sleep(0.3)
        yield server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever the group still holds
