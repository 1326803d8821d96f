"""The server's front door: API key, request size limit, JSON checked before it reaches the model, multipart as JSON.

An ASGI middleware. With an API key, every request on every route must carry it in ``X-API-Key`` (compared in
constant time, before any body is read; 401 otherwise). On the prediction route it reads the whole body (refusing
one over ``max_bytes`` with 413), answers malformed JSON with 400 and the parser's message (LitServe would answer
500; nesting too deep or a number too long for Python's parser are malformed too), and turns a multipart upload
(``-F input=@clip.wav``) into the JSON body ``{"input": {"base64": ...}}`` (or a list, for several ``input``
parts; a plain text part stays text), so the workers only ever see JSON.
"""

from __future__ import annotations

import base64
import hmac
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
        path: the route whose bodies it checks (other routes pass with their key checked only).
        max_bytes: the largest request body accepted.
        api_key: the key every request must send as ``X-API-Key``; None: no key.
    """

    def __init__(self, app: ASGIApp, *, path: str, max_bytes: int, api_key: str | None = None) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes
        self.api_key = None if api_key is None else api_key.encode("utf-8")

    def key_matches(self, scope: Scope) -> bool:
        """Whether the request sends the API key (always, when none is set); constant time in the key's content."""
        if self.api_key is None:
            return True
        given = [value for name, value in scope["headers"] if name == b"x-api-key"]
        return len(given) == 1 and hmac.compare_digest(given[0], self.api_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a POST to ``path`` and hand it on with its body replayed (or answer the error)."""
        if scope["type"] == "http" and not self.key_matches(scope):
            await send_json(send, 401, "a valid X-API-Key header is required")
            return
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
            except Exception as err:  # the multipart parser's own errors, which Starlette passes through
                await send_json(send, 400, f"the multipart body cannot be read: {type(err).__name__}: {err}")
                return
        else:
            try:
                json.loads(body)
            except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError, digit limits
                reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
                await send_json(send, 400, f"the body is not valid JSON: {reason}")
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
