"""`Idempotency-Key` on POST, as pure ASGI middleware over a table in the service's schema.

- same key, same request: the stored response is replayed with `Idempotent-Replayed: true`;
- same key, another request: 422 `idempotency_key_reused`;
- same key while the first request still runs: 409 `idempotency_in_flight`.

Keys are scoped to (tenant, caller) from the verified token and kept for
`idempotency_ttl_hours`. A claim is a committed `in_flight` row with a lease; a crashed
request's key becomes claimable again by the same request once the lease runs out.
Responses of 5xx, 409 and 429 are not stored: the client may retry them with the same key.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.auth import TokenVerifier, bearer_token
from libs.common.db import Database
from libs.common.errors import AppError
from libs.common.logs import request_id_var

log = logging.getLogger("weft.idempotency")

MAX_KEY_LENGTH = 255
_NOT_STORED = {409, 429}


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("tenant_id", Uuid, primary_key=True),
        Column("caller", String(255), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status", String(16), nullable=False),
        Column("response_status", Integer),
        Column("response_headers", JSONB),
        Column("response_body", LargeBinary),
        Column("locked_until", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
        Column("path", Text, nullable=False),
    )


_CLAIM = text(
    """
    INSERT INTO idempotency_keys AS k
        (tenant_id, caller, key, request_hash, status, locked_until, expires_at, path)
    VALUES (:tenant, :caller, :key, :hash, 'in_flight',
            now() + make_interval(secs => :lease), now() + make_interval(hours => :ttl), :path)
    ON CONFLICT (tenant_id, caller, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = 'in_flight',
            locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_headers = NULL, response_body = NULL
        WHERE k.expires_at < now()
           OR (k.status = 'in_flight' AND k.locked_until < now() AND k.request_hash = EXCLUDED.request_hash)
    RETURNING 1
    """
)
_FETCH = text(
    "SELECT request_hash, status, response_status, response_headers, response_body "
    "FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller AND key = :key"
)
_STORE = text(
    "UPDATE idempotency_keys SET status = 'done', response_status = :status, "
    "response_headers = CAST(:headers AS jsonb), response_body = :body "
    "WHERE tenant_id = :tenant AND caller = :caller AND key = :key"
)
_RELEASE = text(
    "DELETE FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller AND key = :key"
)

_REPLAY_HEADERS = {"content-type", "etag", "location"}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        state_app = scope["app"]
        try:
            token = bearer_token(headers.get("authorization"))
            verifier: TokenVerifier = state_app.state.verifier
            principal = await verifier.verify(token)
        except AppError:
            # Unauthenticated: the route itself answers (401, or a public operation).
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_problem(
                send,
                400,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
            )
            return

        body = await _read_body(receive)
        digest = hashlib.sha256()
        digest.update(scope["path"].encode())
        digest.update(b"?" + scope.get("query_string", b""))
        digest.update(b"\n" + body)
        req_hash = digest.hexdigest()

        db: Database = state_app.state.db
        settings = state_app.state.settings
        ids = {"tenant": principal.tenant_id, "caller": principal.subject, "key": key}
        async with db.transaction(principal.tenant_id) as s:
            claimed = (
                await s.execute(
                    _CLAIM,
                    {
                        **ids,
                        "hash": req_hash,
                        "lease": settings.idempotency_lease_seconds,
                        "ttl": settings.idempotency_ttl_hours,
                        "path": scope["path"],
                    },
                )
            ).first()
            existing = None if claimed else (await s.execute(_FETCH, ids)).first()

        if existing is not None:
            if existing.request_hash != req_hash:
                await _send_problem(
                    send,
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request",
                )
            elif existing.status != "done":
                await _send_problem(
                    send,
                    409,
                    "idempotency_in_flight",
                    "A request with this Idempotency-Key is still being processed",
                )
            else:
                await _replay(send, existing)
            return

        # The response is held back until the key records it, so a client that retries the
        # moment it hears the answer gets the replay, never "still in flight".
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}
        held: list[Message] = []

        async def send_capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            held.append(message)

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, send_capture)
        except BaseException:
            await self._record(db, principal.tenant_id, ids, 500, [], b"")
            raise
        await self._record(
            db,
            principal.tenant_id,
            ids,
            captured["status"],
            captured["headers"],
            bytes(captured["body"]),
        )
        for message in held:
            await send(message)

    async def _record(
        self,
        db: Database,
        tenant_id: Any,
        ids: dict[str, Any],
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        try:
            async with db.transaction(tenant_id) as s:
                if status >= 500 or status in _NOT_STORED:
                    await s.execute(_RELEASE, ids)
                else:
                    kept = {
                        k.decode("latin-1"): v.decode("latin-1")
                        for k, v in headers
                        if k.decode("latin-1").lower() in _REPLAY_HEADERS
                    }
                    await s.execute(
                        _STORE,
                        {
                            **ids,
                            "status": status,
                            "headers": orjson.dumps(kept).decode(),
                            "body": body,
                        },
                    )
        except Exception:
            log.exception("could not record idempotent response")


async def _read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


async def _replay(send: Send, row: Any) -> None:
    headers = [(k.encode(), v.encode()) for k, v in (row.response_headers or {}).items()]
    headers.append((b"idempotent-replayed", b"true"))
    body = row.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.response_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_problem(send: Send, status: int, code: str, detail: str) -> None:
    titles = {400: "Bad request", 409: "Conflict", 422: "Unprocessable request"}
    body = orjson.dumps(
        {
            "type": f"https://weft.dev/problems/{code}",
            "title": titles.get(status, "Error"),
            "status": status,
            "detail": detail,
            "code": code,
            "request_id": request_id_var.get(),
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
