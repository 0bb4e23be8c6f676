"""Offline op replay: the writes a device queued while offline, applied in one batch.

`POST /replay` is mounted by each service that takes field work (`replay_router(...)`), so
an op names a route of that same service. Each op runs in-process through the service's
own ASGI app, with the batch's own bearer token: the same dependencies, the same
`require(...)`, the same tenant and row-level security as the single request would get.

- Ops run in `seq` order (ties: the order sent), however they were sent.
- One outer transaction; each op in its own savepoint. An op that fails is rolled back
  to its savepoint and the next op runs: a bad op never blocks the ops after it.
- Each op carries its own Idempotency-Key, kept in the kit's idempotency store (the same
  keys as single requests: an op sent once alone and once in a batch runs once). A key
  seen before answers `duplicate` with the stored response; the same batch twice changes
  nothing.
- Per-op outcome: `applied` (2xx), `duplicate`, `conflict` (the route answered 409, or
  412 to a stale `if_match`: reported as 409 with the server's current entity when the
  route gives it, so the device can merge), `rejected` (any other 4xx: the problem+json
  the route answered). A 5xx is `rejected` too and its key is not kept, so it may be sent
  again.
"""

# No `from __future__ import annotations`: the route built in replay_router() names its
# access dependency in a local annotation, which FastAPI must be able to evaluate.

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message

from libs.common.auth import Principal, Space
from libs.common.context import public_path
from libs.common.db import Database, RequestTransaction, set_tenant
from libs.common.deps import require
from libs.common.errors import (
    AUTH_ERRORS,
    PROBLEM_JSON,
    AppError,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    Unprocessable,
    errors,
    problem_body,
)
from libs.common.idempotency import (
    MAX_KEY_LENGTH,
    REPLAY_HEADERS,
    claim_many,
    finish_many,
    insert_done,
    is_stored,
    live_key,
    live_keys,
    request_hash,
)
from libs.common.logs import request_id_var

log = logging.getLogger("weft.replay")

REPLAY_PATH = "/replay"
MAX_OPS = 1000
Outcome = Literal["applied", "duplicate", "conflict", "rejected"]


class ReplayOp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=2**53, description="The device's sequence number: ops run in it")
    idempotency_key: str = Field(min_length=1, max_length=MAX_KEY_LENGTH)
    method: Literal["POST", "PUT", "PATCH", "DELETE"]
    path: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^/[!-~]*$",
        description="The route as the single request would name it, on this service "
        "(`/production-orders/.../clock-in`, or with its `/v1/<service>` prefix)",
    )
    body: Any = Field(default=None, description="The JSON body the request would have sent")
    if_match: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[ -~]*$",
        description='The version the device saw (an ETag, `"3"`), sent as If-Match',
    )


class ReplayBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ops: list[ReplayOp] = Field(min_length=1, max_length=MAX_OPS)


class ReplayResult(BaseModel):
    seq: int
    idempotency_key: str
    outcome: Outcome
    status: int = Field(description="The status the single request got (409 for a conflict)")
    body: Any = Field(default=None, description="Its JSON body (problem+json when refused)")
    etag: str | None = None
    location: str | None = None
    current: Any = Field(
        default=None, description="For a conflict: the server's current entity, when known"
    )


class ReplayCounts(BaseModel):
    applied: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0


class ReplayResponse(BaseModel):
    results: list[ReplayResult]
    counts: ReplayCounts


@dataclass(slots=True)
class ReplayMetrics:
    """Counters since the process started (exposed on the service's `/metrics`)."""

    batches: int = 0
    ops: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"applied": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
    )

    def count(self, results: Sequence[ReplayResult]) -> None:
        self.batches += 1
        self.ops += len(results)
        for r in results:
            self.outcomes[r.outcome] += 1


def metrics_text(app: Any) -> str:
    """The counters in the Prometheus text format (served at `/metrics`), then those of the
    service's own sources (`app.state.metric_sources`: callables returning Prometheus text)."""
    m = replay_metrics(app)
    lines = [
        "# HELP weft_replay_batches_total Offline replay batches received.",
        "# TYPE weft_replay_batches_total counter",
        f"weft_replay_batches_total {m.batches}",
        "# HELP weft_replay_ops_total Offline replay ops, by outcome.",
        "# TYPE weft_replay_ops_total counter",
    ]
    lines += [f'weft_replay_ops_total{{outcome="{k}"}} {v}' for k, v in m.outcomes.items()]
    extra = "".join(source() for source in getattr(app.state, "metric_sources", ()))
    return "\n".join(lines) + "\n" + extra


def replay_metrics(app: Any) -> ReplayMetrics:
    metrics: ReplayMetrics | None = getattr(app.state, "replay_metrics", None)
    if metrics is None:
        metrics = ReplayMetrics()
        app.state.replay_metrics = metrics
    return metrics


@dataclass(slots=True)
class _Response:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


@dataclass(slots=True)
class _Stored:
    """An op's kept outcome, read like a row of the idempotency store."""

    request_hash: str
    response_status: int
    response_headers: dict[str, str]
    response_body: bytes
    status: str = "done"


def _hash(target: str, query: str, op: ReplayOp) -> str:
    body = b"" if op.body is None else orjson.dumps(op.body)
    return request_hash(target, query.encode(), body)


def _json_or_text(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def _problem(status: int, error: type[AppError], detail: str, instance: str) -> dict[str, Any]:
    return problem_body(status, error.code, error.title, detail, public_path(instance))


class NestedReplay(Unprocessable):
    code, title = "nested_replay", "A replay op cannot name the replay route"


class Replayer:
    """Runs one batch for one principal on one session (the batch's transaction)."""

    def __init__(self, request: Request, principal: Principal, session: AsyncSession) -> None:
        self.app = request.app
        self.request = request
        self.principal = principal
        self.session = session
        self.settings = request.app.state.settings
        self.base_headers = self._base_headers(request)
        self.prefix = request.headers.get("x-forwarded-prefix", "")
        # The batch's keys, in three statements for the whole batch: those stored before
        # it (one query), those it claims (one insert, before the first op) and their
        # outcomes (one update, after the last op). A claim is a row of this transaction:
        # a request with the same key elsewhere waits for the batch, then replays its answer.
        self.known: dict[str, Any] = {}
        self.claimed: set[str] = set()
        self.outcomes: dict[str, _Stored | None] = {}

    @staticmethod
    def _base_headers(request: Request) -> list[tuple[bytes, bytes]]:
        keep = {b"authorization", b"x-forwarded-prefix", b"traceparent", b"x-forwarded-for"}
        out = [(k, v) for k, v in request.scope["headers"] if k in keep]
        rid = request_id_var.get()
        if rid:
            out.append((b"x-request-id", rid.encode("latin-1")))
        return out

    def _service_path(self, path: str) -> str:
        if self.prefix and path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :]
        return path

    async def run(self, ops: Sequence[ReplayOp]) -> list[ReplayResult]:
        ordered = [op for _, op in sorted(enumerate(ops), key=lambda p: (p[1].seq, p[0]))]
        tenant, caller = self.principal.tenant_id, self.principal.subject
        keys = list(dict.fromkeys(op.idempotency_key for op in ordered))
        self.known = await live_keys(self.session, tenant, caller, keys)
        claims: dict[str, tuple[str, str]] = {}
        for op in ordered:
            if op.idempotency_key not in self.known and op.idempotency_key not in claims:
                target, _, query = self._service_path(op.path).partition("?")
                claims[op.idempotency_key] = (_hash(target, query, op), target)
        self.claimed = await claim_many(self.session, tenant, caller, claims, self.settings)
        lost = [k for k in claims if k not in self.claimed]
        if lost:  # stored by another request between the two statements
            self.known.update(await live_keys(self.session, tenant, caller, lost))
        results = [await self._one(op) for op in ordered]
        done = {
            k: (o.request_hash, o.response_status, o.response_headers, o.response_body)
            for k, o in self.outcomes.items()
            if o is not None and k in self.claimed
        }
        release = [k for k in self.claimed if self.outcomes.get(k) is None]
        await finish_many(self.session, tenant, caller, done, release, self.settings)
        return results

    async def _one(self, op: ReplayOp) -> ReplayResult:
        target, _, query = self._service_path(op.path).partition("?")
        body = b"" if op.body is None else orjson.dumps(op.body)
        if target.rstrip("/") == REPLAY_PATH:
            return ReplayResult(
                seq=op.seq,
                idempotency_key=op.idempotency_key,
                outcome="rejected",
                status=422,
                body=_problem(
                    422, NestedReplay, "A replay op cannot name the replay route", target
                ),
            )
        ids = {
            "tenant": self.principal.tenant_id,
            "caller": self.principal.subject,
            "key": op.idempotency_key,
        }
        req_hash = request_hash(target, query.encode(), body)
        key = op.idempotency_key
        if key in self.outcomes:  # an op before it in this batch had the same key
            prev = self.outcomes[key]
            if prev is not None:
                return self._existing(op, prev, req_hash, target)
        elif key in self.known:
            return self._existing(op, self.known[key], req_hash, target)
        if key not in self.claimed:
            return await self._unclaimed(op, ids, target, query, body, req_hash)
        # The op in its own savepoint; its key (claimed outside the savepoint) keeps a
        # stored refusal but none of the op's writes. A conflict or a 5xx keeps neither:
        # the device may send it again.
        point = await self.session.begin_nested()
        resp = await self._dispatch(op, target, query, body)
        if resp.status >= 400:
            await point.rollback()
        else:
            await point.commit()
        raw = bytes(resp.body)
        if is_stored(resp.status) and resp.status != 412:
            kept = {k: v for k, v in resp.headers.items() if k in REPLAY_HEADERS}
            self.outcomes[key] = _Stored(req_hash, resp.status, kept, raw)
        else:
            self.outcomes[key] = None
        # Each op reads what it needs afresh; nothing of one op's identity map leaks
        # into the next (a rolled-back savepoint leaves expired objects behind).
        self.session.expunge_all()
        return self._result(op, resp.status, resp.headers, raw)

    async def _unclaimed(
        self,
        op: ReplayOp,
        ids: dict[str, Any],
        target: str,
        query: str,
        body: bytes,
        req_hash: str,
    ) -> ReplayResult:
        """A key neither stored before the batch nor claimed by it (another request holds
        it, or held it and let go): the op writes its key itself, as a single request."""
        existing = await live_key(self.session, ids)
        if existing is not None:
            return self._existing(op, existing, req_hash, target)
        point = await self.session.begin_nested()
        resp = await self._dispatch(op, target, query, body)
        stored = is_stored(resp.status) and resp.status != 412
        if resp.status >= 400:
            await point.rollback()
        if stored:
            kept = {k: v for k, v in resp.headers.items() if k in REPLAY_HEADERS}
            written = await insert_done(
                self.session,
                ids,
                req_hash,
                target,
                self.settings,
                resp.status,
                kept,
                bytes(resp.body),
            )
            if not written:
                # Another request stored this key meanwhile (it committed first): its
                # outcome is the answer, and this op's writes go.
                if resp.status < 400:
                    await point.rollback()
                self.session.expunge_all()
                row = await live_key(self.session, ids)
                if row is not None:
                    return self._existing(op, row, req_hash, target)
        if resp.status < 400 and point.is_active:
            await point.commit()
        self.session.expunge_all()
        return self._result(op, resp.status, resp.headers, bytes(resp.body))

    def _existing(self, op: ReplayOp, row: Any, req_hash: str, target: str) -> ReplayResult:
        if row.request_hash != req_hash:
            problem = _problem(
                422, IdempotencyKeyReused, "This Idempotency-Key was used with another op", target
            )
            return self._result(op, 422, {"content-type": PROBLEM_JSON}, orjson.dumps(problem))
        if row.status != "done":
            problem = _problem(
                409, IdempotencyInFlight, "An op with this Idempotency-Key is still running", target
            )
            return self._result(op, 409, {"content-type": PROBLEM_JSON}, orjson.dumps(problem))
        return self._result(
            op,
            row.response_status,
            dict(row.response_headers or {}),
            row.response_body or b"",
            replayed=True,
        )

    async def _dispatch(self, op: ReplayOp, path: str, query: str, body: bytes) -> _Response:
        headers = list(self.base_headers)
        headers.append((b"content-length", str(len(body)).encode()))
        if body:
            headers.append((b"content-type", b"application/json"))
        if op.if_match is not None:
            headers.append((b"if-match", _etag(op.if_match).encode("latin-1")))
        root = self.request.scope
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": root.get("asgi", {"version": "3.0"}),
            "http_version": root.get("http_version", "1.1"),
            "method": op.method,
            "scheme": root.get("scheme", "http"),
            "server": root.get("server"),
            "client": root.get("client"),
            "root_path": "",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
            "state": {
                # the op's savepoint is ours: the route's session joins it as it is
                RequestTransaction.STATE_KEY: RequestTransaction(
                    self.session, self.principal.tenant_id, savepoint=False
                )
            },
        }
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        out = _Response()

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                out.status = message["status"]
                out.headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                out.body += message.get("body", b"")

        await self.app(scope, receive, send)
        return out

    def _result(
        self,
        op: ReplayOp,
        status: int,
        headers: dict[str, str],
        raw: bytes,
        *,
        replayed: bool = False,
    ) -> ReplayResult:
        body = _json_or_text(raw, headers.get("content-type", ""))
        current = None
        if replayed:
            outcome: Outcome = "duplicate"
        elif status < 400:
            outcome = "applied"
        elif status in (409, 412):
            outcome, status = "conflict", 409
            current = body.get("current") if isinstance(body, dict) else None
        else:
            outcome = "rejected"
        return ReplayResult(
            seq=op.seq,
            idempotency_key=op.idempotency_key,
            outcome=outcome,
            status=status,
            body=body,
            etag=headers.get("etag"),
            location=headers.get("location"),
            current=current,
        )


def _etag(value: str) -> str:
    v = value.strip()
    return f'"{v}"' if v.isdigit() else v


def replay_router(*spaces: Space, tags: Sequence[str] = ("replay",)) -> APIRouter:
    """`POST /replay` for a service: open to `spaces`; each op is then held to its own
    route's rules (spaces, permissions, plants, tenant)."""
    router = APIRouter(tags=list(tags), responses=AUTH_ERRORS)
    Caller = Annotated[Principal, Depends(require(*spaces))]

    @router.post(
        REPLAY_PATH,
        response_model=ReplayResponse,
        summary="Replay a device's offline ops in sequence order, one result per op",
        responses=errors(422),
    )
    async def replay_ops(batch: ReplayBatch, request: Request, principal: Caller) -> ReplayResponse:
        """Each op runs as the single request would (same route, same checks, its own
        Idempotency-Key), in `seq` order, each in its own savepoint of one transaction.
        The batch answers 200 with a result per op: `applied`, `duplicate` (the stored
        response), `conflict` (409, with the server's `current` entity when the route gives
        it) or `rejected` (the problem+json the route answered)."""
        started = time.perf_counter()
        results = await run_batch(request, principal, batch.ops)
        replay_metrics(request.app).count(results)
        counts = ReplayCounts()
        for r in results:
            setattr(counts, r.outcome, getattr(counts, r.outcome) + 1)
        log.info(
            "replay batch",
            extra={
                "ops": len(results),
                **counts.model_dump(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return ReplayResponse(results=results, counts=counts)

    return router


async def run_batch(
    request: Request, principal: Principal, ops: Sequence[ReplayOp]
) -> list[ReplayResult]:
    """The batch in one transaction (the request's own when it has one)."""
    outer: RequestTransaction | None = request.scope.get("state", {}).get(
        RequestTransaction.STATE_KEY
    )
    if outer is not None and outer.tenant_id == principal.tenant_id:
        async with outer.session.begin_nested():
            return await Replayer(request, principal, outer.session).run(ops)
    db: Database = request.app.state.db
    async with db.sessionmaker() as session:
        await session.begin()
        await set_tenant(session, principal.tenant_id, parent_tenant_id=principal.parent_tenant_id)
        try:
            results = await Replayer(request, principal, session).run(ops)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
    return results
