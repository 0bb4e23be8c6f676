"""The delivery worker: due deliveries out to their endpoints, signed, never one at a time.

- Claims due deliveries with `FOR UPDATE SKIP LOCKED` (several sync processes may run) and
  leases them (next_attempt_at pushed past the timeout) in a short transaction; a process
  that dies mid-delivery leaves leases that run out, and the deliveries go again.
- Each delivery is its own asyncio task on a shared aiohttp session, under a global cap, a
  per-endpoint cap and a per-endpoint circuit breaker; a saturated or open endpoint is left
  out of the next claim, so one slow endpoint never holds up the others.
- Outcomes are written in batches (attempt rows + delivery state) by one writer task.

This module runs the loops and keeps the counts; `claim`, `send` and `record` do the
database and HTTP work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter

import aiohttp

from libs.common.db import Database
from libs.common.ssrf import PublicOnlyResolver
from services.sync.config import Settings
from services.sync.delivery.breaker import CircuitBreaker
from services.sync.delivery.claim import claim
from services.sync.delivery.jobs import Job, Outcome
from services.sync.delivery.record import record
from services.sync.delivery.send import send
from services.sync.delivery.shared_breaker import SharedBreakers

log = logging.getLogger("weft.sync.delivery")


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
        claimed, jobs = await claim(
            self.db,
            self.settings,
            blocked=list(local | shared_blocked),
            capacity=capacity,
            room=lambda ep: self._room(ep, now),
            lease=self._lease,
        )
        for job in jobs:
            self._inflight[job.endpoint_id] += 1
            self._inflight_total += 1
            task = asyncio.create_task(self._deliver(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return claimed

    # --- sending ---------------------------------------------------------------------------
    async def _deliver(self, job: Job) -> None:
        session = self._internal if job.internal else self._public
        assert session is not None
        try:
            outcome = await send(job, session, self.settings)
        except asyncio.CancelledError:
            self._release(job, success=None)
            raise
        self._release(job, success=outcome.success)
        self._outcomes.append(outcome)
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
        disabled = await record(self.db, self.settings, batch)
        if disabled:
            log.warning("endpoints disabled", extra={"endpoints": [str(e.id) for e in disabled]})
            self._wake.set()
