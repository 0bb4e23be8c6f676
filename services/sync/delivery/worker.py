"""The delivery worker: due deliveries out to their endpoints, signed, never one at a time.

- Claims due deliveries with `FOR UPDATE SKIP LOCKED` (several sync processes may run) and
  leases them (next_attempt_at pushed past the timeout) in a short transaction; a process
  that dies mid-delivery leaves leases that run out, and the deliveries go again.
- Each delivery is its own asyncio task on a shared aiohttp session, under a global cap, a
  per-endpoint cap and a per-endpoint circuit breaker; a saturated or open endpoint is left
  out of the next claim, so one slow endpoint never holds up the others.
- Outcomes are written in batches (attempt rows + delivery state) by one writer task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from libs.common.db import Database
from libs.common.ids import new_id
from libs.common.outbox import envelope
from libs.common.ssrf import PublicOnlyResolver, UnsafeUrl, literal_ip_blocked
from libs.common.webhooks import signed_headers
from libs.contracts.events.sync import EndpointDisabled
from services.sync.config import Settings
from services.sync.delivery.breaker import CircuitBreaker
from services.sync.delivery.schedule import next_delay, parse_retry_after
from services.sync.delivery.shared_breaker import SharedBreakers
from services.sync.ingest.service import emit_sync_event
from services.sync.models import Attempt, Endpoint, Event

log = logging.getLogger("weft.sync.delivery")

USER_AGENT = "Weft-Webhooks/1.0"

_CLAIM = text(
    """
    SELECT d.id, d.event_id, d.endpoint_id, d.tenant_id, d.attempts
    FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
      AND NOT (d.endpoint_id = ANY(:blocked))
    ORDER BY d.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
    """
)
_LEASE = text(
    "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => :lease) "
    "WHERE id = ANY(:ids)"
)
_RECORD = text(
    """
    UPDATE deliveries SET status = :status, attempts = :attempts, next_attempt_at = :next_at,
        last_attempt_at = :at, last_status_code = :code, last_error = :error, updated_at = now()
    WHERE id = :id AND status = 'pending'
    """
)
_ALIVE = text("SELECT id FROM deliveries WHERE id = ANY(:ids)")
_CLEAR_FAILING = text(
    "UPDATE endpoints SET failing_since = NULL WHERE id = ANY(:ids) AND failing_since IS NOT NULL"
)
_MARK_FAILING = text(
    "UPDATE endpoints SET failing_since = :now WHERE id = ANY(:ids) AND failing_since IS NULL"
)
_DISABLE = text(
    """
    UPDATE endpoints SET enabled = false, disabled_reason = :reason, version = version + 1,
        updated_at = now()
    WHERE id = ANY(:ids) AND enabled AND kind = 'tenant'
      AND (:force OR failing_since < :cutoff)
    RETURNING id, tenant_id, url
    """
)


@dataclass(slots=True)
class Job:
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    endpoint_id: uuid.UUID
    tenant_id: uuid.UUID | None
    attempts: int
    url: str
    internal: bool
    secrets: list[str]
    body: bytes


@dataclass(slots=True)
class Outcome:
    job: Job
    attempted_at: datetime
    success: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    retry_after: float | None


class DeliveryWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._wake = asyncio.Event()
        self._inflight_total = 0
        self._inflight: Counter[uuid.UUID] = Counter()
        self._breakers: dict[uuid.UUID, CircuitBreaker] = {}
        self._outcomes: list[Outcome] = []
        self._outcome_ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._public: aiohttp.ClientSession | None = None
        self._internal: aiohttp.ClientSession | None = None
        # lease: longer than one attempt can take, so a live worker never loses its claim
        self._lease = settings.delivery_timeout_seconds + 10
        self._shared: SharedBreakers | None = None
        if settings.redis_url:
            self._shared = SharedBreakers.from_url(
                settings.redis_url,
                threshold=settings.circuit_failure_threshold,
                cooldown=settings.circuit_cooldown_seconds,
                trial_lease=self._lease,
            )
        self._shared_writes: set[asyncio.Task[None]] = set()

    # --- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.delivery_timeout_seconds)
        limit = self.settings.global_concurrency
        resolver = None if self.settings.allow_private_urls else PublicOnlyResolver()
        self._public = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, limit_per_host=0, resolver=resolver),
            timeout=timeout,
            auto_decompress=False,
        )
        self._internal = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, limit_per_host=0),
            timeout=timeout,
            auto_decompress=False,
        )
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="sync-claim"),
            asyncio.create_task(self._writer_loop(), name="sync-writer"),
        ]

    async def stop(self) -> None:
        self._loops[0].cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=3)
            for t in pending:
                t.cancel()
        self._loops[1].cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._flush()
        for s in (self._public, self._internal):
            if s is not None:
                await s.close()
        if self._shared is not None:
            if self._shared_writes:
                await asyncio.wait(self._shared_writes, timeout=2)
            await self._shared.close()

    def wake(self) -> None:
        self._wake.set()

    def breaker(self, endpoint_id: uuid.UUID) -> CircuitBreaker:
        b = self._breakers.get(endpoint_id)
        if b is None:
            b = self._breakers[endpoint_id] = CircuitBreaker(
                threshold=self.settings.circuit_failure_threshold,
                cooldown=self.settings.circuit_cooldown_seconds,
                concurrency=self.settings.endpoint_concurrency,
            )
        return b

    # --- claiming --------------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                started = await self._claim_and_start()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming deliveries failed")
                started = 0
                await asyncio.sleep(1)
            if started == 0 or self._inflight_total >= self.settings.global_concurrency:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.delivery_poll_seconds)

    def _room(self, endpoint_id: uuid.UUID, now: float) -> int:
        return self.breaker(endpoint_id).capacity(now) - self._inflight[endpoint_id]

    async def _claim_and_start(self) -> int:
        capacity = self.settings.global_concurrency - self._inflight_total
        if capacity <= 0:
            return 0
        now = time.monotonic()
        shared_blocked = await self._shared_state()
        local = {ep for ep in self._breakers if self._room(ep, now) <= 0}
        blocked = list(local | shared_blocked)
        async with self.db.transaction(None, system=True) as s:
            rows = (
                await s.execute(
                    _CLAIM, {"blocked": blocked, "limit": self.settings.delivery_batch_size}
                )
            ).all()
            picked: list[Any] = []
            taken: Counter[uuid.UUID] = Counter()
            for r in rows:
                if len(picked) >= capacity:
                    break
                if self._room(r.endpoint_id, now) - taken[r.endpoint_id] > 0:
                    picked.append(r)
                    taken[r.endpoint_id] += 1
            if not picked:
                return 0
            await s.execute(_LEASE, {"ids": [r.id for r in picked], "lease": self._lease})
            endpoints = {
                e.id: e
                for e in (
                    await s.execute(
                        select(Endpoint.__table__).where(
                            Endpoint.id.in_({r.endpoint_id for r in picked})
                        )
                    )
                ).all()
            }
            events = {
                e.id: e
                for e in (
                    await s.execute(
                        select(Event.__table__).where(Event.id.in_({r.event_id for r in picked}))
                    )
                ).all()
            }
        bodies = {eid: orjson.dumps(envelope(ev)) for eid, ev in events.items()}
        wall = datetime.now(UTC)
        for r in picked:
            ep = endpoints.get(r.endpoint_id)
            if ep is None or r.event_id not in bodies:
                continue
            job = Job(
                delivery_id=r.id,
                event_id=r.event_id,
                endpoint_id=r.endpoint_id,
                tenant_id=r.tenant_id,
                attempts=r.attempts,
                url=ep.url,
                internal=ep.kind == "internal",
                secrets=self._secrets(ep, wall),
                body=bodies[r.event_id],
            )
            self._inflight[r.endpoint_id] += 1
            self._inflight_total += 1
            task = asyncio.create_task(self._deliver(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(picked)

    def _secrets(self, ep: Any, now: datetime) -> list[str]:
        if ep.kind == "internal":
            secret = self.settings.service_secrets.get(ep.service or "")
            return [secret] if secret else []
        out = [ep.secret]
        if (
            ep.previous_secret
            and ep.previous_secret_expires_at
            and (ep.previous_secret_expires_at > now)
        ):
            out.append(ep.previous_secret)
        return out

    # --- sending ---------------------------------------------------------------------------
    async def _deliver(self, job: Job) -> None:
        attempted_at = datetime.now(UTC)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        text_body: str | None = None
        retry_after: float | None = None
        try:
            if not job.secrets:
                raise UnsafeUrl("no signing secret for this endpoint")
            if (
                not job.internal
                and not self.settings.allow_private_urls
                and literal_ip_blocked(job.url)
            ):
                raise UnsafeUrl("the URL points at a non-public address")
            headers = signed_headers(job.secrets, str(job.event_id), job.body)
            headers["user-agent"] = USER_AGENT
            session = self._internal if job.internal else self._public
            assert session is not None
            async with session.post(
                job.url, data=job.body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                text_body = await _read_head(resp, self.settings.response_body_limit)
                if status in (429, 503):
                    retry_after = parse_retry_after(
                        resp.headers.get("Retry-After"), self.settings.retry_after_cap_seconds
                    )
        except TimeoutError:
            error = f"timeout after {self.settings.delivery_timeout_seconds:g} s"
        except asyncio.CancelledError:
            self._release(job, success=None)
            raise
        except (aiohttp.ClientError, OSError, UnsafeUrl, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        success = status is not None and 200 <= status < 300
        if not success and error is None:
            error = f"HTTP {status}"
        self._release(job, success=success)
        self._outcomes.append(
            Outcome(
                job=job,
                attempted_at=attempted_at,
                success=success,
                status_code=status,
                latency_ms=int((time.perf_counter() - started) * 1000),
                error=error,
                response_body=text_body,
                retry_after=retry_after,
            )
        )
        self._outcome_ready.set()

    async def _shared_state(self) -> set[uuid.UUID]:
        """Endpoints the replicas agree are open; a half-open trial won here is let through
        by this process's breaker (one delivery)."""
        if self._shared is None:
            return set()
        try:
            blocked, trials = await self._shared.blocked()
        except Exception:
            log.warning("shared breakers unreachable: this process decides alone", exc_info=True)
            return set()
        for ep in trials:
            self.breaker(ep).half_open()
        return blocked

    def _share(self, endpoint_id: uuid.UUID, success: bool) -> None:
        if self._shared is None:
            return

        async def write(shared: SharedBreakers = self._shared) -> None:
            try:
                await shared.record(endpoint_id, success)
            except Exception:
                log.warning("shared breaker not updated", exc_info=True)

        task = asyncio.create_task(write())
        self._shared_writes.add(task)
        task.add_done_callback(self._shared_writes.discard)

    def _release(self, job: Job, *, success: bool | None) -> None:
        self._inflight[job.endpoint_id] -= 1
        if self._inflight[job.endpoint_id] <= 0:
            del self._inflight[job.endpoint_id]
        self._inflight_total -= 1
        if success is not None:
            self.breaker(job.endpoint_id).record(success)
            self._share(job.endpoint_id, success)
        self._wake.set()

    # --- recording -------------------------------------------------------------------------
    async def _writer_loop(self) -> None:
        while True:
            await self._outcome_ready.wait()
            await asyncio.sleep(0.01)  # gather a batch
            self._outcome_ready.clear()
            try:
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                # the leases run out and these deliveries go again (at least once)
                log.exception("recording delivery outcomes failed")
                await asyncio.sleep(0.5)

    async def _flush(self) -> None:
        batch, self._outcomes = self._outcomes, []
        if not batch:
            return
        settings = self.settings
        now = datetime.now(UTC)
        attempts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        succeeded: set[uuid.UUID] = set()
        failed: set[uuid.UUID] = set()
        gone: set[uuid.UUID] = set()
        for o in batch:
            j = o.job
            done = j.attempts + 1
            attempts.append(
                {
                    "id": new_id(),
                    "tenant_id": j.tenant_id,
                    "delivery_id": j.delivery_id,
                    "event_id": j.event_id,
                    "endpoint_id": j.endpoint_id,
                    "attempted_at": o.attempted_at,
                    "success": o.success,
                    "status_code": o.status_code,
                    "latency_ms": o.latency_ms,
                    "error": o.error,
                    "response_body": o.response_body,
                }
            )
            next_at = o.attempted_at
            if o.success:
                status = "succeeded"
                succeeded.add(j.endpoint_id)
            else:
                failed.add(j.endpoint_id)
                delay = next_delay(settings.retry_schedule, done, settings.retry_jitter)
                if o.status_code == 410 and not j.internal:
                    status = "failed"
                    gone.add(j.endpoint_id)
                elif delay is None:
                    status = "failed"
                else:
                    status = "pending"
                    if o.retry_after is not None:
                        delay = max(delay, o.retry_after)
                    next_at = now + timedelta(seconds=delay)
            updates.append(
                {
                    "id": j.delivery_id,
                    "status": status,
                    "attempts": done,
                    "next_at": next_at,
                    "at": o.attempted_at,
                    "code": o.status_code,
                    "error": o.error,
                }
            )
        # rows are locked in id order, deliveries before endpoints, as deleting an endpoint does
        attempts.sort(key=lambda a: a["delivery_id"])
        updates.sort(key=lambda u: u["id"])
        disabled: list[Any] = []
        async with self.db.transaction(None, system=True) as s:
            # an endpoint deleted meanwhile took its deliveries with it: skip their attempts
            alive = set(
                (await s.execute(_ALIVE, {"ids": [a["delivery_id"] for a in attempts]})).scalars()
            )
            attempts = [a for a in attempts if a["delivery_id"] in alive]
            if attempts:
                await s.execute(insert(Attempt), attempts)
            await s.execute(_RECORD, updates)
            if succeeded:
                await s.execute(_CLEAR_FAILING, {"ids": list(succeeded)})
            only_failed = failed - succeeded
            if only_failed:
                await s.execute(_MARK_FAILING, {"ids": list(only_failed), "now": now})
                cutoff = now - timedelta(seconds=settings.endpoint_disable_after_seconds)
                disabled += (
                    await s.execute(
                        _DISABLE,
                        {
                            "ids": list(only_failed - gone),
                            "reason": "failing",
                            "force": False,
                            "cutoff": cutoff,
                        },
                    )
                ).all()
            if gone:
                disabled += (
                    await s.execute(
                        _DISABLE,
                        {
                            "ids": list(gone),
                            "reason": "gone",
                            "force": True,
                            "cutoff": now,
                        },
                    )
                ).all()
            for ep in disabled:
                reason = "gone" if ep.id in gone else "failing"
                await emit_sync_event(
                    s,
                    EndpointDisabled(endpoint_id=ep.id, url=ep.url, reason=reason),
                    tenant_id=ep.tenant_id,
                    subject=f"endpoints/{ep.id}",
                )
        if disabled:
            log.warning("endpoints disabled", extra={"endpoints": [str(e.id) for e in disabled]})
            self._wake.set()


async def _read_head(resp: aiohttp.ClientResponse, limit: int) -> str:
    buf = bytearray()
    while len(buf) < limit:
        chunk = await resp.content.read(limit - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf).decode("utf-8", "replace")
