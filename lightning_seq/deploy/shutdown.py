"""Stopping a LitServe server when told to: drain the requests in flight, then end every process it started.

LitServe runs its HTTP servers and inference workers as child processes of the one that called ``run``, but
installs no handler for SIGTERM: a ``kill -TERM`` of that process ends it alone, and its children go on answering
as orphans, holding the port. ``stop_on_signals`` installs handlers for SIGTERM and SIGINT that, from a thread of
their own, (1) send SIGTERM to the HTTP processes, which stop accepting connections and answer the requests in
flight (within ``timeout`` seconds, uvicorn's graceful shutdown, while the inference workers still run), then (2)
set LitServe's shutdown event, on which ``run`` returns through LitServe's own shutdown (the inference workers and
the queue manager are ended). ``end_children`` then ends any child process still alive. A second signal skips the
drain.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

HTTP_PROCESS_PREFIX = "LitServer-"
"""How LitServe names its HTTP server processes."""


def http_processes() -> list[multiprocessing.Process]:
    """This process's live LitServe HTTP server processes."""
    return [p for p in multiprocessing.active_children() if p.name.startswith(HTTP_PROCESS_PREFIX)]


def stop(server: Any, timeout: float, hurry: threading.Event) -> None:
    """Drain and stop the HTTP processes, then release ``server.run`` (runs in its own thread)."""
    processes = http_processes()
    for process in processes:
        process.terminate()  # uvicorn: stop accepting, answer what is in flight
    deadline = time.monotonic() + timeout + 5.0
    for process in processes:
        while process.is_alive() and time.monotonic() < deadline and not hurry.is_set():
            process.join(0.1)
        if process.is_alive():
            log.warning("%s did not stop in %.0f s: killed", process.name, timeout)
            process.kill()
            process.join(5.0)
    event = getattr(server, "_shutdown_event", None)  # LitServe's (private): run() waits on it
    if event is not None:
        try:
            event.set()
        except (OSError, EOFError, BrokenPipeError):
            pass  # the manager is gone already: run() is returning anyway


def stop_on_signals(server: Any, timeout: float) -> None:
    """Install SIGTERM and SIGINT handlers that stop ``server`` (a ``LitServer`` about to ``run``) gracefully."""
    hurry = threading.Event()
    started: list[threading.Thread] = []

    def handler(signum: int, frame: Any) -> None:
        if started:
            hurry.set()  # a second signal: no more waiting for the requests in flight
            return
        log.info("%s received: stopping (answering the requests in flight for up to %.0f s)",
                 signal.Signals(signum).name, timeout)
        thread = threading.Thread(target=stop, args=(server, timeout, hurry), name="lightning-seq-stop", daemon=True)
        started.append(thread)
        thread.start()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def end_children(grace: float = 5.0) -> None:
    """End every child process still alive (SIGTERM, then SIGKILL after ``grace`` seconds)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(grace)


__all__ = ["end_children", "http_processes", "stop_on_signals"]
