"""Request context as pure ASGI middleware: request id, body size limit, one access log line."""

from __future__ import annotations

import logging
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.logs import request_id_var

access_log = logging.getLogger("weft.access")
error_log = logging.getLogger("weft.errors")

_MAX_REQUEST_ID = 128


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = 1_048_576) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        length = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                rid = v.decode("latin-1")[:_MAX_REQUEST_ID]
            elif k == b"content-length":
                length = v
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status_holder = [0]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                await _too_large(send_with_id, self.max_body_bytes, rid)
                return
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                # Answer here, while the request id is still known; Starlette's outer error
                # middleware would answer without it.
                error_log.exception("unhandled error", extra={"path": scope["path"]})
                if status_holder[0] == 0:
                    await _problem(
                        send_with_id,
                        500,
                        "internal_error",
                        "Internal server error",
                        "An unexpected error occurred; it has been logged.",
                        rid,
                    )
        finally:
            if scope["path"] not in ("/healthz", "/readyz"):
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder[0],
                        "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    },
                )
            request_id_var.reset(token)


async def _too_large(send: Send, limit: int, rid: str) -> None:
    await _problem(
        send,
        413,
        "payload_too_large",
        "Payload too large",
        f"The request body exceeds {limit} bytes",
        rid,
    )


async def _problem(send: Send, status: int, code: str, title: str, detail: str, rid: str) -> None:
    body = orjson.dumps(
        {
            "type": f"https://weft.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "request_id": rid,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
