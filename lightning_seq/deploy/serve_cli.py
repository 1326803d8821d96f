"""``lightning-seq serve --ckpt_path CKPT``: a trained checkpoint behind HTTP (needs ``lightning-seq[serve]``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "0.0.0.0": "0.0.0.0", "::": "::"}
"""The ``--host`` values served, and the address each binds (LitServe binds no single interface address)."""


def host(value: str) -> str:
    """A ``--host`` value as the address LitServe binds, or an error saying which are served."""
    if value not in HOSTS:
        raise argparse.ArgumentTypeError(
            f"{value!r} cannot be served: give 127.0.0.1 or localhost (this machine only), 0.0.0.0 (every IPv4 "
            f"interface) or :: (every interface); LitServe binds no single interface address, so put a reverse "
            f"proxy or a firewall rule in front to expose one")
    return HOSTS[value]


def positive_int(value: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value!r}")
    return number


def parser() -> argparse.ArgumentParser:
    """The ``serve`` command's options."""
    p = argparse.ArgumentParser(
        prog="lightning-seq serve",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Serve a checkpoint over HTTP: POST /predict with {\"input\": ...} (or a list, or a multipart "
                    "upload of the field 'input'); GET /health; GET /info.",
    )
    p.add_argument("--ckpt_path", required=True, help="the checkpoint (alone is enough: no YAML, no training files)")
    p.add_argument("--host", default="127.0.0.1", type=host,
                   help="where to listen: 127.0.0.1 or localhost (this machine), 0.0.0.0 (every IPv4 interface), :: "
                        "(every interface)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--max_batch_size", type=int, default=32,
                   help="most requests answered by one padded forward pass (1: no batching)")
    p.add_argument("--batch_timeout", type=float, default=0.01, help="seconds a batch waits to fill")
    p.add_argument("--workers", type=int, default=1, help="model processes per device")
    p.add_argument("--accelerator", default="auto", choices=["auto", "cpu", "cuda"], help="where the model runs")
    p.add_argument("--precision", default="32", choices=["32", "bf16", "16"], help="inference precision")
    p.add_argument("--max_request_bytes", type=int, default=10_000_000, help="largest request body (413 above)")
    p.add_argument("--max_input_length", type=positive_int, default=10_000,
                   help="most time steps one encoded input may have (tokens, feature frames, image rows or columns), "
                        "judged from what it claims before it is decoded; longer inputs are refused with 422, never "
                        "truncated")
    p.add_argument("--max_inputs_per_request", type=positive_int, default=256,
                   help="most inputs one request may carry (422 above it)")
    p.add_argument("--shutdown_timeout", type=float, default=30.0,
                   help="on SIGTERM or SIGINT: seconds to answer the requests in flight before every process the "
                        "server started is ended")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a request may wait (504 after)")
    p.add_argument("--api_key", default=None,
                   help="require this key in the X-API-Key header (default: the LIT_SERVER_API_KEY environment "
                        "variable, if set; prefer it: a command line is visible to other users)")
    return p


def main(args: Sequence[str]) -> None:
    """Parse ``args`` and run the server until it is stopped."""
    options = parser().parse_args(list(args))
    if options.api_key:
        os.environ["LIT_SERVER_API_KEY"] = options.api_key  # before LitServe is imported: it reads it then
    try:
        from lightning_seq.deploy.server import build_server
        from lightning_seq.deploy.shutdown import end_children, stop_on_signals
    except ImportError as err:
        raise SystemExit(
            f"lightning-seq serve needs the serve extra: pip install 'lightning-seq[serve]' ({err})"
        ) from None
    server = build_server(
        options.ckpt_path,
        max_batch_size=options.max_batch_size,
        batch_timeout=options.batch_timeout,
        workers=options.workers,
        max_request_bytes=options.max_request_bytes,
        max_input_length=options.max_input_length,
        max_inputs_per_request=options.max_inputs_per_request,
        accelerator=options.accelerator,
        precision=options.precision,
        timeout=options.timeout,
        api_key=options.api_key,
        shutdown_timeout=options.shutdown_timeout,
    )
    stop_on_signals(server, options.shutdown_timeout)
    try:
        server.run(host=options.host, port=options.port, generate_client_file=False, num_api_servers=1)
    finally:
        end_children()
