"""AuditMiddleware: one audit record per request that needs one.

Needs one: every authenticated write (POST, PUT, PATCH, DELETE), and every authenticated
request refused with 403 (denied) or 429 (throttled). A successful write's record was
already written in its own transaction (`libs.common.deps` -> `record_in_transaction`);
for everything else the record is written here, in a short transaction of its own, before
the response leaves (a client that got its 403 can list the record at once). A read that
succeeds costs nothing: no statement, no round trip.

A request without a valid token is not recorded here (the gateway refuses it first, and
logs it); identity records its own failed logins.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.audit import service
from libs.common.audit.context import STATE_KEY, WRITE_METHODS, AuditContext, audit_var
from libs.common.auth import Principal, TokenVerifier, bearer_token
from libs.common.errors import AppError

log = logging.getLogger("weft.audit")

_REFUSALS = frozenset({403, 429})


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or audit_var.get() is not None:
            # an op of an offline replay batch, run inside the batch's request: what it
            # touches goes to the batch's one record
            await self.app(scope, receive, send)
            return
        if scope["method"] not in WRITE_METHODS:
            await self._read(scope, receive, send)
            return
        ctx = AuditContext(method=scope["method"])
        scope.setdefault("state", {})[STATE_KEY] = ctx
        token = audit_var.set(ctx)
        held: Message | None = None

        async def audited_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                status = message["status"]
                if ctx.written or not (ctx.is_write or status in _REFUSALS):
                    await send(message)
                    return
                held = message  # until the body tells the problem's code
                return
            if held is not None and message["type"] == "http.response.body":
                start, held = held, None
                await self._record(scope, ctx, start, message.get("body", b""))
                await send(start)
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except Exception:
            if not ctx.written and ctx.is_write:
                await self._record(scope, ctx, {"status": 500, "headers": []}, b"")
            raise
        finally:
            audit_var.reset(token)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A read: nothing to collect; only a refusal (403, 429) is recorded."""
        held: Message | None = None

        async def refusals_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] in _REFUSALS:
                held = message
                return
            if held is not None and message["type"] == "http.response.body":
                start, held = held, None
                ctx = AuditContext(method=scope["method"])
                await self._record(scope, ctx, start, message.get("body", b""))
                await send(start)
            await send(message)

        await self.app(scope, receive, refusals_send)

    async def _record(self, scope: Scope, ctx: AuditContext, start: Message, body: bytes) -> None:
        ctx.written = True
        principal = await _principal(scope)
        if principal is None:
            return
        status = int(start["status"])
        extra: dict[str, Any] = {}
        if any(k == b"idempotent-replayed" for k, _ in start.get("headers", [])):
            extra["replayed"] = True
        values = service.build(principal, scope, ctx, status=status, code=_code(body), extra=extra)
        try:
            await service.record_alone(scope["app"].state.db, values)
        except Exception:
            # the refusal still goes out; the line below keeps the record in the logs
            log.exception("audit record not stored", extra={"audit": _loggable(values)})


async def _principal(scope: Scope) -> Principal | None:
    """The request's verified principal; when no route dependency verified it (the route
    was not found, a body failed to parse first), the token is verified here."""
    principal = scope.get("state", {}).get("principal")
    if isinstance(principal, Principal):
        return principal
    auth = next((v for k, v in scope["headers"] if k == b"authorization"), None)
    if auth is None:
        return None
    try:
        verifier: TokenVerifier = scope["app"].state.verifier
        return await verifier.verify(bearer_token(auth.decode("latin-1")))
    except AppError:
        return None


def _code(body: bytes) -> str | None:
    if not body.startswith(b"{"):
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if v is not None else None for k, v in values.items()}
