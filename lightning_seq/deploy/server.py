"""A checkpoint behind HTTP on LitServe, with dynamic batching of variable-length inputs.

``POST /predict`` takes ``{"input": X}`` (one input or a list; see ``payloads``) or a multipart upload and answers
``{"predictions": [...]}``, one per input, in order. Requests that arrive within ``batch_timeout`` of each other
are answered by one padded forward pass of up to ``max_batch_size`` requests (LitServe's own batching stacks
equal-shaped tensors, which variable-length sequences are not: here ``batch`` keeps the encoded requests and the
predictor pads them with their lengths). A bad request gets its own 4xx and never fails the batch it arrived with;
a request the model itself fails on gets its own 500 (the batch is answered again request by request). An inference
worker that dies is restarted (its requests in flight answer 500). ``GET /health`` and ``GET /info`` (task, labels,
input kind, library version, checkpoint hash) are LitServe's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import litserve as ls
import litserve.server
from starlette.responses import JSONResponse

from lightning_seq import __version__
from lightning_seq.deploy.gate import RequestGate
from lightning_seq.deploy.payloads import EncodedRequest, RequestError, encode_request
from lightning_seq.deploy.predictor import Predictor, check_servable
from lightning_seq.deploy.results import Prediction
from lightning_seq.tasks.checkpoint_format import PREPROCESSING_KEY, TASK_KEY
from lightning_seq.tasks.loading import read_checkpoint
from lightning_seq.tasks.names import NAMES_KEY

API_PATH = "/predict"

log = logging.getLogger(__name__)


class PredictorAPI(ls.LitAPI):
    """LitServe's API of one checkpoint: decode and encode each request, predict a whole dynamic batch at once.

    Args:
        ckpt_path: the checkpoint (alone is enough: see ``Predictor.from_checkpoint``).
        max_batch_size: the most requests answered by one forward pass (1: no batching).
        batch_timeout: seconds to wait for more requests before a batch that is not full runs.
        max_input_length: the most time steps one input may have once encoded; longer ones are refused (422),
            judged from what the input claims before it is decoded.
        max_inputs_per_request: the most inputs one request may carry (422 above it).
        precision: the predictor's ``precision`` (``32``, ``bf16``, ``16``).
    """

    def __init__(
        self,
        ckpt_path: str,
        *,
        max_batch_size: int = 32,
        batch_timeout: float = 0.01,
        max_input_length: int | None = 10_000,
        max_inputs_per_request: int | None = 256,
        precision: str = "32",
    ) -> None:
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout, api_path=API_PATH)
        for name, limit in (("max_input_length", max_input_length), ("max_inputs_per_request", max_inputs_per_request)):
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
                raise ValueError(f"{name} must be an integer >= 1 or None, got {limit!r}")
        self.ckpt_path = ckpt_path
        self.max_input_length = max_input_length
        self.max_inputs_per_request = max_inputs_per_request
        self.precision = precision
        self.predictor: Predictor | None = None

    def setup(self, device: str) -> None:
        """Load the predictor on the worker's device."""
        self.predictor = Predictor.from_checkpoint(
            self.ckpt_path, device=device, batch_size=self.max_batch_size, precision=self.precision
        )

    def decode_request(self, request):  # unhinted: LitServe reads hints as the HTTP schema
        """The request's inputs encoded (an ``EncodedRequest``), or its ``RequestError``.

        Returned, not raised: LitServe fails every request of a batch when one raises.
        """
        assert self.predictor is not None
        try:
            return encode_request(request, self.predictor.inputs, self.max_input_length, self.max_inputs_per_request)
        except Exception as err:  # encode_request answers every input error itself: this is a fault of ours
            log.exception("decoding a request failed")
            return RequestError(500, f"the server failed to decode the request ({type(err).__name__})")

    def batch(self, inputs: list[EncodedRequest | RequestError]) -> list[EncodedRequest | RequestError]:
        """The requests as they are: the predictor pads their inputs by length."""
        return list(inputs)

    def answers(self, requests: list[EncodedRequest]) -> list[list[Prediction]]:
        """Every request's answers from one padded forward pass over all their inputs."""
        assert self.predictor is not None
        flat = [tensor for item in requests for tensor in item.inputs]
        answers = self.predictor.answers(self.predictor.rows(flat), [""] * len(flat)) if flat else []
        out, taken = [], 0
        for item in requests:
            out.append(answers[taken : taken + len(item.inputs)])
            taken += len(item.inputs)
        return out

    def predict(self, x: Any) -> Any:
        """Answers for every good request of the batch (one forward pass); errors pass through in place.

        When the batch's forward pass fails, each request is answered on its own, so only the one the model fails
        on gets a 500.
        """
        items = x if isinstance(x, list) else [x]
        good = [item for item in items if isinstance(item, EncodedRequest)]
        try:
            answered: list[list[Prediction] | RequestError] = list(self.answers(good))
        except Exception:
            log.exception("a batch of %d requests failed; answering them one by one", len(good))
            answered = []
            for item in good:
                try:
                    answered.extend(self.answers([item]))
                except Exception as err:
                    log.exception("a request failed in the model")
                    answered.append(RequestError(500, f"the model failed on this request ({type(err).__name__})"))
        replies = iter(answered)
        out = [item if isinstance(item, RequestError) else next(replies) for item in items]
        return out if isinstance(x, list) else out[0]

    def unbatch(self, output: list[Any]) -> list[Any]:
        """One output per request, as ``predict`` returned them."""
        return list(output)

    def encode_response(self, output):  # unhinted: LitServe reads hints as the HTTP schema
        """``{"predictions": [...]}`` for a list of answers, or a ``RequestError`` as ``{"detail": ...}``."""
        if isinstance(output, RequestError):
            return JSONResponse(status_code=output.status, content={"detail": output.detail})
        return {"predictions": [{k: v for k, v in a.to_dict().items() if k != "input"} for a in output]}


def model_info(ckpt_path: str | Path) -> dict[str, Any]:
    """What ``GET /info`` says of the model: task, input kind, labels, library version, checkpoint hash."""
    path = Path(ckpt_path)
    meta = read_checkpoint(path)  # the entries only: the model itself is loaded by the workers
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    labels = (meta.get(NAMES_KEY) or {}).get("label_names")
    return {
        "task": meta[TASK_KEY],
        "input_kind": (meta.get(PREPROCESSING_KEY) or {}).get("kind"),
        "labels": None if labels is None else json.loads(labels),
        "lightning_seq_version": __version__,
        "checkpoint": path.name,
        "checkpoint_sha256": digest.hexdigest(),
        "preprocessing": PREPROCESSING_KEY in meta,
    }


def build_server(
    ckpt_path: str,
    *,
    max_batch_size: int = 32,
    batch_timeout: float = 0.01,
    workers: int = 1,
    max_request_bytes: int = 10_000_000,
    max_input_length: int | None = 10_000,
    max_inputs_per_request: int | None = 256,
    accelerator: str = "auto",
    precision: str = "32",
    timeout: float = 30.0,
    api_key: str | None = None,
    shutdown_timeout: float = 30.0,
) -> ls.LitServer:
    """The LitServer of a checkpoint (start it with ``run(host=..., port=...)``).

    Args:
        ckpt_path: the checkpoint.
        max_batch_size: the most requests one forward pass answers (1 disables batching).
        batch_timeout: seconds a batch waits to fill.
        workers: model processes per device.
        max_request_bytes: the largest request body (413 above it).
        max_input_length: the most time steps one encoded input may have (422 above it); None: no limit.
        max_inputs_per_request: the most inputs one request may carry (422 above it); None: no limit.
        accelerator: ``cpu``, ``cuda`` or ``auto``.
        precision: ``32``, ``bf16`` or ``16`` (CUDA).
        timeout: seconds a request may wait before 504.
        api_key: when given, every request, on every route, must send it as ``X-API-Key`` (compared in constant
            time, before the body is read: 401 otherwise); None takes the ``LIT_SERVER_API_KEY`` environment
            variable, if set.
        shutdown_timeout: seconds the HTTP processes may take, once told to stop, to answer the requests in flight.
    """
    for name, value in (("max_batch_size", max_batch_size), ("workers", workers),
                        ("max_request_bytes", max_request_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if batch_timeout < 0:
        raise ValueError(f"batch_timeout must be >= 0, got {batch_timeout!r}")
    if shutdown_timeout < 0:
        raise ValueError(f"shutdown_timeout must be >= 0, got {shutdown_timeout!r}")
    if api_key is not None and not api_key:
        raise ValueError("api_key must not be empty")
    key = api_key if api_key is not None else os.environ.get("LIT_SERVER_API_KEY") or None
    if key is not None:
        litserve.server.LIT_SERVER_API_KEY = key  # LitServe's own check, behind ours
    info = model_info(ckpt_path)
    check_servable(read_checkpoint(ckpt_path).get(PREPROCESSING_KEY), str(ckpt_path))  # before any worker starts
    api = PredictorAPI(ckpt_path, max_batch_size=max_batch_size, batch_timeout=batch_timeout,
                       max_input_length=max_input_length, max_inputs_per_request=max_inputs_per_request,
                       precision=precision)
    server = ls.LitServer(
        api,
        accelerator=accelerator,
        devices=1,
        workers_per_device=workers,
        timeout=timeout,
        model_metadata=info,
        restart_workers=True,
        middlewares=[(RequestGate, {"path": API_PATH, "max_bytes": max_request_bytes, "api_key": key})],
    )
    server.uvicorn_graceful_timeout = shutdown_timeout  # how long a stopped HTTP process drains (LitServe's setting)
    return server
