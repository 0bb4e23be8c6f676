"""The outbox relay: ships a service's committed outbox rows to sync, at least once.

Every service with an `outbox` table gets one automatically (create_service_app starts it
when the table exists and `sync_ingest_url` is set). It claims unsent rows with
`FOR UPDATE SKIP LOCKED` in a system transaction, so several processes of one service can
relay side by side without sending a row twice at the same time; posts them as one batch to
sync's ingest endpoint, signed as a Standard Webhooks delivery with the service's own secret
(`webhook-id` = batch id, `X-Weft-Service` = service name); and marks them sent only after
sync's 2xx. Anything else (error, timeout, crash before the mark) leaves the rows unsent, to
be sent again after a backoff: sync stores each event once, by its id.

It wakes on the `weft_outbox` notification that `emit_event` raises (delivered at commit),
and polls every `relay_poll_seconds` besides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from libs.common.db import Database
from libs.common.ids import new_id
from libs.common.outbox import NOTIFY_CHANNEL, envelope
from libs.common.webhooks import signed_headers

log = logging.getLogger("weft.relay")

SERVICE_HEADER = "X-Weft-Service"
MAX_BATCH_BYTES = 512 * 1024  # well under the 1 MiB body limit of the ingest endpoint

_HAS_OUTBOX = text("SELECT to_regclass('outbox') IS NOT NULL")
_CLAIM = text(
    """
    SELECT id, type, tenant_id, customer_tenant_id, subject, occurred_at, data, attempts
    FROM outbox
    WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    ORDER BY created_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)
_SENT = text(
    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL "
    "WHERE id = ANY(:ids)"
)
_FAILED = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE id = ANY(:ids)"
)


class Relay:
    def __init__(
        self,
        db: Database,
        *,
        service: str,
        secret: str,
        ingest_url: str,
        batch_size: int = 100,
        poll_seconds: float = 0.2,
        timeout_seconds: float = 10.0,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self.db = db
        self.service = service
        self.secret = secret
        self.ingest_url = ingest_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_conn: AsyncConnection | None = None
        self._http: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._wake.set()

    async def has_outbox(self) -> bool:
        async with self.db.engine.connect() as conn:
            return bool((await conn.execute(_HAS_OUTBOX)).scalar())

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.timeout_seconds)
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await self._listen_conn.close()
        if self._http is not None:
            await self._http.aclose()

    async def _listen(self) -> None:
        """LISTEN for commits of outbox rows; polling still covers a lost connection."""
        schema = self.db.schema

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            if payload == schema:
                self._wake.set()

        try:
            conn = await self.db.engine.connect()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.add_listener(NOTIFY_CHANNEL, on_notify)  # type: ignore[union-attr]
            self._listen_conn = conn
        except Exception:
            log.warning("outbox LISTEN unavailable; polling only", exc_info=True)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay round failed")
                sent = 0
                await asyncio.sleep(1)
            if sent < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_once(self) -> int:
        """Claim one batch, send it, mark it. Returns the number of rows sync acknowledged."""
        assert self._http is not None, "start() first"
        async with self.db.transaction(None, system=True) as session:
            rows = (await session.execute(_CLAIM, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            events: list[dict[str, Any]] = []
            size = 0
            for row in rows:
                item = envelope(row)
                size += len(orjson.dumps(item))
                if events and size > MAX_BATCH_BYTES:
                    break  # the rest stays unsent and unlocked at commit, for the next round
                events.append(item)
            claimed = rows[: len(events)]
            ids = [r.id for r in claimed]
            body = orjson.dumps({"events": events})
            headers = signed_headers([self.secret], str(new_id()), body)
            headers[SERVICE_HEADER] = self.service
            error: str | None = None
            try:
                resp = await self._http.post(self.ingest_url, content=body, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}: {resp.text[:300]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if error is None:
                await session.execute(_SENT, {"ids": ids})
                return len(ids)
            attempts = max(r.attempts for r in claimed) + 1
            delay = min(self.max_backoff_seconds, 0.2 * 2**attempts) * random.uniform(0.8, 1.2)
            await session.execute(_FAILED, {"ids": ids, "error": error, "delay": delay})
            log.warning("relay batch not acknowledged", extra={"error": error, "rows": len(ids)})
            return 0


def relay_lifespan(
    *, batch_size: int | None = None, poll_seconds: float | None = None
) -> Callable[[FastAPI], Any]:
    """A lifespan for create_service_app(extra_lifespans=[...]) running this service's relay."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        if getattr(app.state, "relay", None) is not None:
            yield  # already running (started explicitly and automatically)
            return
        relay = Relay(
            app.state.db,
            service=settings.service_name,
            secret=settings.service_secret,
            ingest_url=settings.sync_ingest_url,
            batch_size=batch_size or settings.relay_batch_size,
            poll_seconds=poll_seconds or settings.relay_poll_seconds,
        )
        if not settings.service_secret or not settings.sync_ingest_url:
            log.warning("relay not started: service_secret or sync_ingest_url unset")
            yield
            return
        try:
            present = await relay.has_outbox()
        except Exception:
            log.warning("relay not started: database unreachable", exc_info=True)
            present = False
        if not present:
            yield
            return
        await relay.start()
        app.state.relay = relay
        try:
            yield
        finally:
            await relay.stop()
            app.state.relay = None

    return lifespan
