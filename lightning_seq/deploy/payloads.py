"""A JSON request body to encoded model inputs, or a 4xx error that names the field.

The body is ``{"input": X}`` where ``X`` is one input or a list of inputs:

* text models: a string;
* image models: ``{"base64": "<an encoded PNG, JPEG, ... file>"}``;
* audio models: ``{"base64": "<a WAV, FLAC or OGG file>"}`` or ``{"samples": [floats], "sample_rate": 16000}``.

File paths are never read from a request (a client must not make the server open its files). Every input is
encoded here, one request at a time, so a bad input fails its own request only, never the batch it would have
joined.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

from lightning_seq.data.preprocessing.inputs import AUDIO_KIND, IMAGE_KIND, TEXT_KIND
from lightning_seq.deploy.predictor import InputEncoder

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
        return np.asarray(samples, dtype=np.float32), value["sample_rate"]
    allowed = "'base64'" if kind == IMAGE_KIND else "'base64', or 'samples' and 'sample_rate'"
    raise ValueError(f"{field}: expected the keys {allowed}, got {sorted(keys)}")


def raw_value(value: Any, field: str, kind: str) -> Any:
    """One request input as the predictor's raw input (a string, image bytes, audio bytes or samples)."""
    if kind == TEXT_KIND:
        if not isinstance(value, str):
            raise ValueError(f"{field}: expected a text (string), got {json_type(value)}")
        return value
    return media_value(value, field, kind)


def encode_request(payload: Any, inputs: InputEncoder, max_input_length: int | None) -> EncodedRequest | RequestError:
    """A decoded JSON body to encoded inputs, or the 422 error of its first bad field.

    Args:
        payload: the parsed JSON body.
        inputs: the predictor's input encoder.
        max_input_length: the most time steps one input may have once encoded (tokens, frames, image columns or
            rows); a longer input is refused, never truncated. None: no limit.
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
    encoded = []
    for position, value in enumerate(values):
        field = f"input[{position}]" if many else "input"
        try:
            tensor = inputs.encode(raw_value(value, field, inputs.kind), position)
        except (ValueError, TypeError) as err:
            message = str(err).removeprefix(f"input {position}: ")
            return RequestError(422, message if message.startswith(field) else f"{field}: {message}")
        if max_input_length is not None and tensor.size(0) > max_input_length:
            return RequestError(
                422, f"{field}: {tensor.size(0)} time steps once encoded, over the server's limit of "
                     f"{max_input_length} (max_input_length); refused, not truncated"
            )
        encoded.append(tensor)
    return EncodedRequest(encoded)
