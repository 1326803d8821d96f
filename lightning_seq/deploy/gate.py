"""The server's front door: request size limit, JSON checked before it reaches the model, multipart as JSON.

An ASGI middleware on the prediction route. It reads the whole body (refusing one over ``max_bytes`` with 413),
answers malformed JSON with 400 and the parser's message (LitServe would answer 500), and turns a multipart upload
(``-F input=@clip.wav``) into the JSON body ``{"input": {"base64": ...}}`` (or a list, for several ``input``
parts; a plain text part stays text), so the workers only ever see JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """The body went over the size limit while it was read."""


async def send_json(send: Send, status: int, detail: str) -> None:
    """Answer ``{"detail": detail}`` with ``status``."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, max_bytes: int) -> bytes:
    """The whole request body; ``BodyTooLarge`` as soon as it passes ``max_bytes``."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def multipart_as_json(scope: Scope, body: bytes) -> bytes:
    """A multipart form's ``input`` parts (files base64-encoded) as a JSON body; ValueError names what is wrong."""

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(scope, replay).form()
    unknown = sorted(set(form.keys()) - {"input"})
    if unknown:
        raise ValueError(f"unknown form field(s) {unknown}: upload the input as the field 'input'")
    parts = form.getlist("input")
    if not parts:
        raise ValueError("missing form field 'input'")
    values: list[Any] = []
    for part in parts:
        if isinstance(part, UploadFile):
            values.append({"base64": base64.b64encode(await part.read()).decode("ascii")})
        else:
            values.append(part)
    await form.close()
    return json.dumps({"input": values if len(values) > 1 else values[0]}).encode()


class RequestGate:
    """ASGI middleware guarding ``path``: size limit, JSON parse check, multipart uploads as JSON.

    Args:
        app: the application behind it.
        path: the route it guards (other routes pass untouched).
        max_bytes: the largest request body accepted.
    """

    def __init__(self, app: ASGIApp, *, path: str, max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a POST to ``path`` and hand it on with its body replayed (or answer the error)."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await send_json(send, 413, f"the request body is over the server's limit of {self.max_bytes} bytes")
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if content_type.startswith("multipart/form-data"):
            try:
                body = await multipart_as_json(scope, body)
            except ValueError as err:
                await send_json(send, 422, str(err))
                return
            except HTTPException as err:  # a malformed multipart body
                await send_json(send, 400, f"the multipart body cannot be read: {err.detail}")
                return
        else:
            try:
                json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                await send_json(send, 400, f"the body is not valid JSON: {err}")
                return
        headers[b"content-type"] = b"application/json"
        headers[b"content-length"] = str(len(body)).encode()
        scope = {**scope, "headers": list(headers.items())}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # after the body: wait for the disconnect as the app expects
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
