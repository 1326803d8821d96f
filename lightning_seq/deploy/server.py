"""A checkpoint behind HTTP on LitServe, with dynamic batching of variable-length inputs.

``POST /predict`` takes ``{"input": X}`` (one input or a list; see ``payloads``) or a multipart upload and answers
``{"predictions": [...]}``, one per input, in order. Requests that arrive within ``batch_timeout`` of each other
are answered by one padded forward pass of up to ``max_batch_size`` requests (LitServe's own batching stacks
equal-shaped tensors, which variable-length sequences are not: here ``batch`` keeps the encoded requests and the
predictor pads them with their lengths). A bad request gets its own 4xx and never fails the batch it arrived with.
``GET /health`` and ``GET /info`` (task, labels, input kind, library version, checkpoint hash) are LitServe's.
"""

from __future__ import annotations

import hashlib
import json
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


class PredictorAPI(ls.LitAPI):
    """LitServe's API of one checkpoint: decode and encode each request, predict a whole dynamic batch at once.

    Args:
        ckpt_path: the checkpoint (alone is enough: see ``Predictor.from_checkpoint``).
        max_batch_size: the most requests answered by one forward pass (1: no batching).
        batch_timeout: seconds to wait for more requests before a batch that is not full runs.
        max_input_length: the most time steps one input may have once encoded; longer ones are refused (422).
        precision: the predictor's ``precision`` (``32``, ``bf16``, ``16``).
    """

    def __init__(
        self,
        ckpt_path: str,
        *,
        max_batch_size: int = 32,
        batch_timeout: float = 0.01,
        max_input_length: int | None = 10_000,
        precision: str = "32",
    ) -> None:
        super().__init__(max_batch_size=max_batch_size, batch_timeout=batch_timeout, api_path=API_PATH)
        if max_input_length is not None and max_input_length < 1:
            raise ValueError(f"max_input_length must be >= 1 or None, got {max_input_length!r}")
        self.ckpt_path = ckpt_path
        self.max_input_length = max_input_length
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
        return encode_request(request, self.predictor.inputs, self.max_input_length)

    def batch(self, inputs: list[EncodedRequest | RequestError]) -> list[EncodedRequest | RequestError]:
        """The requests as they are: the predictor pads their inputs by length."""
        return list(inputs)

    def predict(self, x: Any) -> Any:
        """Answers for every good request of the batch (one forward pass); errors pass through in place."""
        assert self.predictor is not None
        items = x if isinstance(x, list) else [x]
        flat = [tensor for item in items if isinstance(item, EncodedRequest) for tensor in item.inputs]
        answers = self.predictor.answers(self.predictor.rows(flat), [""] * len(flat)) if flat else []
        out: list[list[Prediction] | RequestError] = []
        taken = 0
        for item in items:
            if isinstance(item, RequestError):
                out.append(item)
                continue
            out.append(answers[taken : taken + len(item.inputs)])
            taken += len(item.inputs)
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
    accelerator: str = "auto",
    precision: str = "32",
    timeout: float = 30.0,
    api_key: str | None = None,
) -> ls.LitServer:
    """The LitServer of a checkpoint (start it with ``run(host=..., port=...)``).

    Args:
        ckpt_path: the checkpoint.
        max_batch_size: the most requests one forward pass answers (1 disables batching).
        batch_timeout: seconds a batch waits to fill.
        workers: model processes per device.
        max_request_bytes: the largest request body (413 above it).
        max_input_length: the most time steps one encoded input may have (422 above it); None: no limit.
        accelerator: ``cpu``, ``cuda`` or ``auto``.
        precision: ``32``, ``bf16`` or ``16`` (CUDA).
        timeout: seconds a request may wait before 504.
        api_key: when given, every request must send it as ``X-API-Key`` (LitServe's own check); None keeps the
            ``LIT_SERVER_API_KEY`` environment variable's setting.
    """
    for name, value in (("max_batch_size", max_batch_size), ("workers", workers),
                        ("max_request_bytes", max_request_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if batch_timeout < 0:
        raise ValueError(f"batch_timeout must be >= 0, got {batch_timeout!r}")
    if api_key is not None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        litserve.server.LIT_SERVER_API_KEY = api_key  # read by LitServe's X-API-Key check
    info = model_info(ckpt_path)
    check_servable(read_checkpoint(ckpt_path).get(PREPROCESSING_KEY), str(ckpt_path))  # before any worker starts
    api = PredictorAPI(ckpt_path, max_batch_size=max_batch_size, batch_timeout=batch_timeout,
                       max_input_length=max_input_length, precision=precision)
    return ls.LitServer(
        api,
        accelerator=accelerator,
        devices=1,
        workers_per_device=workers,
        timeout=timeout,
        model_metadata=info,
        middlewares=[(RequestGate, {"path": API_PATH, "max_bytes": max_request_bytes})],
    )
