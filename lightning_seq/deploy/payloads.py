"""A JSON request body to encoded model inputs, or a 4xx error that names the field.

The body is ``{"input": X}`` where ``X`` is one input or a list of inputs:

* text models: a string;
* image models: ``{"base64": "<an encoded PNG, JPEG, ... file>"}``;
* audio models: ``{"base64": "<a WAV, FLAC or OGG file>"}`` or ``{"samples": [floats], "sample_rate": 16000}``.

File paths are never read from a request (a client must not make the server open its files). Every input is
encoded here, one request at a time, so a bad input fails its own request only, never the batch it would have
joined: whatever goes wrong while one request is decoded becomes that request's answer (422 for bad input, 413 for
an input too large to decode, 500 naming only the error's type for a fault of the server), never an exception that
LitServe would turn into a 500 for every request of the batch.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

from lightning_seq.data.preprocessing.inputs import AUDIO_KIND, IMAGE_KIND, TEXT_KIND
from lightning_seq.deploy.limits import InputTooLong, without_addresses
from lightning_seq.deploy.predictor import InputEncoder

log = logging.getLogger(__name__)

JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
              float: "a number", type(None): "null"}


@dataclass(frozen=True)
class RequestError:
    """A request that cannot be answered: the HTTP status and what is wrong, naming the field."""

    status: int
    detail: str


@dataclass(frozen=True)
class EncodedRequest:
    """A request's inputs, encoded for the model (time first), in request order."""

    inputs: list[Tensor]


def json_type(value: Any) -> str:
    """How JSON calls the type of ``value``."""
    return JSON_TYPES.get(type(value), type(value).__name__)


def media_value(value: Any, field: str, kind: str) -> Any:
    """An image or audio input object as bytes (``base64``) or ``(samples, rate)``; errors name ``field``."""
    if not isinstance(value, dict):
        wanted = '{"base64": ...}' if kind == IMAGE_KIND else '{"base64": ...} or {"samples": [...], "sample_rate": n}'
        raise ValueError(f"{field}: expected {wanted}, got {json_type(value)}")
    keys = set(value)
    if keys == {"base64"}:
        if not isinstance(value["base64"], str):
            raise ValueError(f"{field}.base64: expected a string, got {json_type(value['base64'])}")
        try:
            data = base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{field}.base64: not valid base64") from None
        if not data:
            raise ValueError(f"{field}.base64: empty")
        return data
    if kind == AUDIO_KIND and keys == {"samples", "sample_rate"}:
        samples = value["samples"]
        if not isinstance(samples, list) or not samples:
            raise ValueError(f"{field}.samples: expected a non-empty list of numbers")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in samples):
            raise ValueError(f"{field}.samples: every sample must be a number")
        try:
            with np.errstate(over="ignore"):  # floats beyond float32 become inf, refused as non-finite
                return np.asarray(samples, dtype=np.float32), value["sample_rate"]
        except OverflowError:
            raise ValueError(f"{field}.samples: a sample is too large for a float (samples lie in [-1, 1])") from None
    allowed = "'base64'" if kind == IMAGE_KIND else "'base64', or 'samples' and 'sample_rate'"
    raise ValueError(f"{field}: expected the keys {allowed}, got {sorted(keys)}")


def raw_value(value: Any, field: str, kind: str) -> Any:
    """One request input as the predictor's raw input (a string, image bytes, audio bytes or samples)."""
    if kind == TEXT_KIND:
        if not isinstance(value, str):
            raise ValueError(f"{field}: expected a text (string), got {json_type(value)}")
        return value
    return media_value(value, field, kind)


def request_error(field: str, position: int, err: Exception) -> RequestError:
    """The answer to an input whose encoding raised ``err``: 4xx for bad input, 500 for a fault of the server."""
    if isinstance(err, InputTooLong):
        return RequestError(422, f"{field}: {err.steps} time steps once encoded, over the server's limit of "
                                 f"{err.limit} (max_input_length); refused, not truncated")
    if isinstance(err, MemoryError):
        return RequestError(413, f"{field}: too large to decode in the server's memory")
    if isinstance(err, ValueError | TypeError | OverflowError):
        message = without_addresses(str(err)).removeprefix(f"input {position}: ")
        return RequestError(422, message if message.startswith(field) else f"{field}: {message}")
    log.exception("%s: encoding failed", field)
    return RequestError(500, f"{field}: the server failed to decode this input ({type(err).__name__})")


def encode_request(payload: Any, inputs: InputEncoder, max_input_length: int | None,
                   max_inputs: int | None = None) -> EncodedRequest | RequestError:
    """A decoded JSON body to encoded inputs, or the error of its first bad field; never raises.

    Args:
        payload: the parsed JSON body.
        inputs: the predictor's input encoder.
        max_input_length: the most time steps one input may have once encoded (tokens, frames, image columns or
            rows), checked from what the input claims before it is decoded; a longer input is refused, never
            truncated. None: no limit.
        max_inputs: the most inputs one request may carry (None: no limit).
    """
    if not isinstance(payload, dict):
        return RequestError(422, f'the body must be a JSON object {{"input": ...}}, got {json_type(payload)}')
    extra = sorted(set(payload) - {"input"})
    if extra:
        return RequestError(422, f"unknown field(s) {extra}: the body holds 'input' only")
    if "input" not in payload:
        return RequestError(422, "missing field 'input'")
    given = payload["input"]
    many = isinstance(given, list)
    values = given if many else [given]
    if not values:
        return RequestError(422, "input: an empty list")
    if max_inputs is not None and len(values) > max_inputs:
        return RequestError(422, f"input: {len(values)} inputs, over the server's limit of {max_inputs} "
                                 f"(max_inputs_per_request)")
    encoded = []
    for position, value in enumerate(values):
        field = f"input[{position}]" if many else "input"
        try:
            encoded.append(inputs.encode(raw_value(value, field, inputs.kind), position, max_input_length))
        except Exception as err:  # one request's failure is its own answer, whatever it is
            return request_error(field, position, err)
    return EncodedRequest(encoded)
