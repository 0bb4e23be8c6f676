"""`Idempotency-Key` on POST, as pure ASGI middleware over a table in the service's schema.

- same key, same request: the stored response is replayed with `Idempotent-Replayed: true`;
- same key, another request: 422 `idempotency_key_reused`;
- same key while the first request still runs: 409 `idempotency_in_flight`.

Keys are scoped to (tenant, caller) from the verified token and kept for
`idempotency_ttl_hours`. Responses of 5xx, 409 and 429 are not stored: the client may
retry them with the same key.

Exactly once, in the atomic phases Stripe describes:
1. the claim: a committed `in_flight` row with a lease (a duplicate arriving meanwhile
   gets 409; a crashed request's key becomes claimable again once the lease runs out);
2. the request runs in a transaction this middleware owns (`RequestTransaction` in the
   request state: the kit's TenantSession joins it, an error rolls back to a savepoint);
   the buffered response is written to the key row in that same transaction and the
   request's writes and the key's outcome commit together, once;
3. only then is the response sent. A crash after the commit leaves a key that replays;
   a crash before it leaves nothing of the request.
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
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.auth import TokenVerifier, bearer_token
from libs.common.db import Database, RequestTransaction, set_tenant
from libs.common.errors import (
    AppError,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    send_problem,
)
from libs.common.middleware import read_body
from libs.common.testing import crash_point

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
# A key's row written done at once (the replay of an op that already ran in this
# transaction); an expired row of the same key is taken over, a live one is left alone.
_INSERT_DONE = text(
    """
    INSERT INTO idempotency_keys AS k
        (tenant_id, caller, key, request_hash, status, response_status, response_headers,
         response_body, locked_until, expires_at, path)
    VALUES (:tenant, :caller, :key, :hash, 'done', :status, CAST(:headers AS jsonb), :body,
            now(), now() + make_interval(hours => :ttl), :path)
    ON CONFLICT (tenant_id, caller, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = 'done',
            response_status = EXCLUDED.response_status,
            response_headers = EXCLUDED.response_headers,
            response_body = EXCLUDED.response_body, expires_at = EXCLUDED.expires_at
        WHERE k.expires_at < now()
    RETURNING 1
    """
)
_FETCH_LIVE = text(
    "SELECT request_hash, status, response_status, response_headers, response_body "
    "FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller AND key = :key "
    "AND expires_at >= now()"
)
_FETCH_LIVE_MANY = text(
    "SELECT key, request_hash, status, response_status, response_headers, response_body "
    "FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller "
    "AND key = ANY(CAST(:keys AS text[])) AND expires_at >= now()"
)
# A replay batch's keys: claimed in one statement before its first op (in key order, so two
# batches sharing keys cannot deadlock), finished in one statement after its last.
_CLAIM_MANY = text(
    """
    INSERT INTO idempotency_keys AS k
        (tenant_id, caller, key, request_hash, status, locked_until, expires_at, path)
    SELECT :tenant, :caller, v.key, v.hash, 'in_flight',
           now() + make_interval(secs => :lease), now() + make_interval(hours => :ttl), v.path
    FROM unnest(CAST(:keys AS text[]), CAST(:hashes AS text[]), CAST(:paths AS text[]))
        AS v(key, hash, path)
    ORDER BY v.key
    ON CONFLICT (tenant_id, caller, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = 'in_flight',
            locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_headers = NULL, response_body = NULL,
            path = EXCLUDED.path
        WHERE k.expires_at < now()
    RETURNING k.key
    """
)
_FINISH_MANY = text(
    """
    UPDATE idempotency_keys AS k
    SET status = 'done', request_hash = v.hash, response_status = v.status,
        response_headers = CAST(v.headers AS jsonb), response_body = v.body,
        locked_until = now(), expires_at = now() + make_interval(hours => :ttl)
    FROM unnest(CAST(:keys AS text[]), CAST(:hashes AS text[]), CAST(:statuses AS int[]),
                CAST(:headers AS text[]), CAST(:bodies AS bytea[]))
        AS v(key, hash, status, headers, body)
    WHERE k.tenant_id = :tenant AND k.caller = :caller AND k.key = v.key
    """
)
_RELEASE_MANY = text(
    "DELETE FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller "
    "AND key = ANY(CAST(:keys AS text[])) AND status = 'in_flight'"
)
_RELEASE = text(
    "DELETE FROM idempotency_keys WHERE tenant_id = :tenant AND caller = :caller AND key = :key"
)


def request_hash(path: str, query: bytes, body: bytes) -> str:
    """What a key is bound to: the same key with another hash is another request (422)."""
    digest = hashlib.sha256()
    digest.update(path.encode())
    digest.update(b"?" + query)
    digest.update(b"\n" + body)
    return digest.hexdigest()


async def claim_key(
    session: AsyncSession, ids: dict[str, Any], req_hash: str, path: str, settings: Any
) -> Any:
    """Claim the key (None) or return the row that holds it (hash, status, response)."""
    claimed = (
        await session.execute(
            _CLAIM,
            {
                **ids,
                "hash": req_hash,
                "lease": settings.idempotency_lease_seconds,
                "ttl": settings.idempotency_ttl_hours,
                "path": path,
            },
        )
    ).first()
    return None if claimed else (await session.execute(_FETCH, ids)).first()


async def store_response(
    session: AsyncSession, ids: dict[str, Any], status: int, headers: dict[str, str], body: bytes
) -> None:
    """Record the key's outcome in the caller's transaction."""
    await session.execute(
        _STORE,
        {**ids, "status": status, "headers": orjson.dumps(headers).decode(), "body": body},
    )


async def live_key(session: AsyncSession, ids: dict[str, Any]) -> Any:
    """The key's row unless it has expired (None: the key is free)."""
    return (await session.execute(_FETCH_LIVE, ids)).first()


async def live_keys(
    session: AsyncSession, tenant: Any, caller: str, keys: list[str]
) -> dict[str, Any]:
    """`live_key` for many keys of one caller at once (an offline replay batch): one query."""
    rows = await session.execute(
        _FETCH_LIVE_MANY, {"tenant": tenant, "caller": caller, "keys": keys}
    )
    return {row.key: row for row in rows}


async def claim_many(
    session: AsyncSession,
    tenant: Any,
    caller: str,
    claims: dict[str, tuple[str, str]],
    settings: Any,
) -> set[str]:
    """Claim free keys (`key -> (request hash, path)`) in the caller's transaction, in one
    statement; returns those claimed (another transaction's live key is not)."""
    if not claims:
        return set()
    keys = sorted(claims)
    rows = await session.execute(
        _CLAIM_MANY,
        {
            "tenant": tenant,
            "caller": caller,
            "keys": keys,
            "hashes": [claims[k][0] for k in keys],
            "paths": [claims[k][1] for k in keys],
            "lease": settings.idempotency_lease_seconds,
            "ttl": settings.idempotency_ttl_hours,
        },
    )
    return {row.key for row in rows}


async def finish_many(
    session: AsyncSession,
    tenant: Any,
    caller: str,
    done: dict[str, tuple[str, int, dict[str, str], bytes]],
    release: list[str],
    settings: Any,
) -> None:
    """Store the outcomes of claimed keys (`key -> (hash, status, headers, body)`) and let
    go of the claims whose outcome is not kept (a 409, a 5xx): two statements at most."""
    if done:
        keys = list(done)
        await session.execute(
            _FINISH_MANY,
            {
                "tenant": tenant,
                "caller": caller,
                "keys": keys,
                "hashes": [done[k][0] for k in keys],
                "statuses": [done[k][1] for k in keys],
                "headers": [orjson.dumps(done[k][2]).decode() for k in keys],
                "bodies": [done[k][3] for k in keys],
                "ttl": settings.idempotency_ttl_hours,
            },
        )
    if release:
        await session.execute(_RELEASE_MANY, {"tenant": tenant, "caller": caller, "keys": release})


async def insert_done(
    session: AsyncSession,
    ids: dict[str, Any],
    req_hash: str,
    path: str,
    settings: Any,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> bool:
    """Write the key with its outcome in the caller's transaction; False when another
    transaction holds the key (its row is then the answer)."""
    row = (
        await session.execute(
            _INSERT_DONE,
            {
                **ids,
                "hash": req_hash,
                "status": status,
                "headers": orjson.dumps(headers).decode(),
                "body": body,
                "ttl": settings.idempotency_ttl_hours,
                "path": path,
            },
        )
    ).first()
    return row is not None


def is_stored(status: int) -> bool:
    """Outcomes a retry must not change: not 5xx, 409 or 429 (those may be retried)."""
    return status < 500 and status not in _NOT_STORED


REPLAY_HEADERS = frozenset({"content-type", "etag", "location"})


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
        path = scope["path"]
        if not key or len(key) > MAX_KEY_LENGTH:
            await _problem(
                send,
                InvalidIdempotencyKey,
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                path,
            )
            return

        body = await read_body(receive)
        req_hash = request_hash(path, scope.get("query_string", b""), body)

        db: Database = state_app.state.db
        settings = state_app.state.settings
        ids = {"tenant": principal.tenant_id, "caller": principal.subject, "key": key}
        # Phase 1: the claim commits on its own, so a duplicate sees it at once.
        async with db.transaction(principal.tenant_id) as s:
            existing = await claim_key(s, ids, req_hash, path, settings)

        if existing is not None:
            if existing.request_hash != req_hash:
                await _problem(
                    send,
                    IdempotencyKeyReused,
                    "This Idempotency-Key was used with a different request",
                    path,
                )
            elif existing.status != "done":
                await _problem(
                    send,
                    IdempotencyInFlight,
                    "A request with this Idempotency-Key is still being processed",
                    path,
                )
            else:
                await _replay(send, existing)
            return

        # Phase 2: the request and the key's outcome in one transaction; the response is
        # held back until it commits.
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

        async with db.sessionmaker() as session:
            await session.begin()
            await set_tenant(
                session, principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
            )
            scope.setdefault("state", {})[RequestTransaction.STATE_KEY] = RequestTransaction(
                session, principal.tenant_id
            )
            try:
                await self.app(scope, replay_receive, send_capture)
            except BaseException:
                await session.rollback()
                await _release(db, principal.tenant_id, ids)
                raise
            status = captured["status"]
            if not is_stored(status):
                await session.rollback()
                await _release(db, principal.tenant_id, ids)
            elif not await _store_and_commit(session, ids, captured):
                await _release(db, principal.tenant_id, ids)
                await _problem(
                    send,
                    _CommitFailed,
                    "The request could not be committed; retry with the same key",
                    path,
                )
                return
            else:
                crash_point(settings, "after_commit", path)
        # Phase 3: the answer leaves only after its outcome is durable.
        for message in held:
            await send(message)


class _CommitFailed(AppError):
    status, code, title = 503, "commit_failed", "Service unavailable"


async def _store_and_commit(
    session: AsyncSession, ids: dict[str, Any], captured: dict[str, Any]
) -> bool:
    kept = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in captured["headers"]
        if k.decode("latin-1").lower() in REPLAY_HEADERS
    }
    try:
        await store_response(session, ids, captured["status"], kept, bytes(captured["body"]))
        await session.commit()
    except Exception:
        log.exception("could not commit the request with its idempotency key")
        await session.rollback()
        return False
    return True


async def _release(db: Database, tenant_id: Any, ids: dict[str, Any]) -> None:
    """Free the key (the request did not complete), so the same request may run again."""
    try:
        async with db.transaction(tenant_id) as s:
            await s.execute(_RELEASE, ids)
    except Exception:
        log.exception("could not release an idempotency key")


async def _replay(send: Send, row: Any) -> None:
    headers = [(k.encode(), v.encode()) for k, v in (row.response_headers or {}).items()]
    headers.append((b"idempotent-replayed", b"true"))
    body = row.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.response_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, error: type[AppError], detail: str, path: str) -> None:
    await send_problem(send, error.status, error.code, detail, title=error.title, instance=path)
