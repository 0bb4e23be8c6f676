"""Request context as pure ASGI middleware: request id, public path prefix, body size limit,
input the database cannot store refused at the edge, and one access log line."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.context import public_path, public_prefix_var, valid_prefix
from libs.common.errors import InternalError, PayloadTooLarge, ValidationFailed, send_problem
from libs.common.logs import request_id_var

access_log = logging.getLogger("weft.access")
error_log = logging.getLogger("weft.errors")

_MAX_REQUEST_ID = 128
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NUL_DETAIL = "Text must not contain the NUL character (\\u0000); see errors."


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = 1_048_576,
        streamed_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # routes that stream a large upload themselves (their own size cap and NUL check):
        # their body is neither capped nor read here. An entry ending in "/" is a prefix
        # (the presigned `/objects/` uploads: the signature carries the size cap)
        self.streamed_paths = frozenset(p for p in streamed_paths if not p.endswith("/"))
        self.streamed_prefixes = tuple(p for p in streamed_paths if p.endswith("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        length = None
        prefix = ""
        content_type = b""
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                rid = v.decode("latin-1")[:_MAX_REQUEST_ID]
            elif k == b"content-length":
                length = v
            elif k == b"x-forwarded-prefix":
                prefix = valid_prefix(v.decode("latin-1"))
            elif k == b"content-type":
                content_type = v.lower()
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        prefix_token = public_prefix_var.set(prefix)
        start = time.perf_counter()
        status_holder = [0]

        method = scope["method"]
        head = method == "HEAD"
        if head:
            # HEAD is GET without the body (RFC 9110 9.3.2); FastAPI routes only answer GET
            scope = {**scope, "method": "GET"}

        async def send_with_id(message: Message) -> None:
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                if prefix:
                    headers = [_public_location(k, v) for k, v in headers]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        path = scope["path"]
        streamed = method in _BODY_METHODS and (
            path in self.streamed_paths or path.startswith(self.streamed_prefixes)
        )
        try:
            if streamed:
                pass
            elif length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                await send_problem(
                    send_with_id,
                    413,
                    PayloadTooLarge.code,
                    f"The request body exceeds {self.max_body_bytes} bytes",
                    title=PayloadTooLarge.title,
                    instance=scope["path"],
                )
                return
            bad = _nul_in_target(scope)
            if (
                bad is None
                and not streamed
                and scope["method"] in _BODY_METHODS
                and _is_text(content_type)
            ):
                body = await read_body(receive)
                bad = _nul_in_body(body, content_type)
                receive = _replay(body, receive)
            if bad is not None:
                await send_problem(
                    send_with_id,
                    422,
                    ValidationFailed.code,
                    _NUL_DETAIL,
                    title=ValidationFailed.title,
                    instance=scope["path"].replace("\x00", ""),
                    errors=[{"field": bad, "message": "must not contain the NUL character"}],
                )
                return
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                # Answer here, while the request id is still known; Starlette's outer error
                # middleware would answer without it.
                error_log.exception("unhandled error", extra={"path": scope["path"]})
                if status_holder[0] == 0:
                    await send_problem(
                        send_with_id,
                        500,
                        InternalError.code,
                        "An unexpected error occurred; it has been logged.",
                        title=InternalError.title,
                        instance=scope["path"],
                    )
        finally:
            if scope["path"] not in ("/healthz", "/readyz"):
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "status": status_holder[0],
                        "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    },
                )
            public_prefix_var.reset(prefix_token)
            request_id_var.reset(token)


def _public_location(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() != b"location" or not value.startswith(b"/"):
        return name, value
    return name, (public_path(value.decode("latin-1")) or "").encode("latin-1")


# --- NUL: Postgres cannot store it in text, so it never gets past the edge ------------------


def _is_text(content_type: bytes) -> bool:
    return b"json" in content_type or b"x-www-form-urlencoded" in content_type


def _nul_in_target(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                return f"query.{key.replace(chr(0), '')}"
        return "query"
    return None


def _nul_in_body(body: bytes, content_type: bytes) -> str | None:
    if b"x-www-form-urlencoded" in content_type:
        if b"%00" in body or b"\x00" in body:
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    return key.replace("\x00", "") or "body"
            return "body"
        return None
    if b"\x00" in body:
        return "body"  # a raw NUL: not even valid JSON
    if b"\\u0000" not in body:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the app answers malformed JSON itself
    return _nul_path(data)


def _nul_path(data: Any) -> str | None:
    """The dotted path of the first string (key or value) holding a NUL, if any."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                sub = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return sub.replace("\x00", "")
                stack.append((item, sub))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, f"{path}.{i}" if path else str(i)))
    return None


async def read_body(receive: Receive) -> bytes:
    """The whole request body from an ASGI `receive` (what a client disconnect left)."""
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
