"""The live feed's fan-out: one reader per tenant that has open streams.

A stream of a tenant's feed (the provider's own, or a brand's: a brand's rows are its
provider's) subscribes to that tenant's reader. When feed rows of the tenant commit (LISTEN
on `quality_feed`; the NOTIFY leaves with the writing transaction's commit), the reader
reads the rows after the last seq it read, once, serialises each row once, and hands them
to every subscriber; each stream keeps what its principal may see (`access.can_read`, the
rule the per-stream query uses). So N streams of one tenant cost one read per wake-up, not
N. The reader also reads every few seconds without a wake-up, so a lost LISTEN connection
costs latency, never events.

Why nothing is lost: rows of one tenant commit in seq order (`events.append_to_feed` holds
a per-tenant lock). A stream subscribes first, waits until the reader knows its starting
seq, and only then reads what it missed with its own query (its catch-up). A row committed
before that catch-up read is in it; a row committed after it has a larger seq than the
reader's start, so a reader pass that began after the subscription hands it over. Rows that
arrive both ways are dropped by seq. A stream that falls too far behind loses its buffer and
catches up with its own query again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI

from libs.common.auth import Principal
from libs.common.db import Database
from services.quality.access import can_read
from services.quality.events import FEED_CHANNEL
from services.quality.feed import repository as repo
from services.quality.feed.schemas import FeedItem
from services.quality.models import FeedEntry

log = logging.getLogger("weft.quality.feed")

POLL_SECONDS = 5.0
BATCH = 200
# rows a subscriber may hold unsent before it is told to catch up by itself
MAX_BUFFER = 2000
FEED_PERMISSION = "inspections:read"


def frame(entry: FeedEntry) -> bytes:
    """One SSE frame: the row's seq is its id, its type the event name."""
    body = FeedItem.model_validate(entry).model_dump(mode="json")
    return (
        f"id: {entry.seq}\nevent: {entry.type}\n".encode()
        + b"data: "
        + orjson.dumps(body)
        + b"\n\n"
    )


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A committed feed row as the reader hands it out: what the visibility rule needs and
    the frame, serialised once for every stream."""

    seq: int
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None
    plant_id: uuid.UUID | None
    lot_id: uuid.UUID | None
    frame: bytes

    @classmethod
    def of(cls, entry: FeedEntry) -> FeedRow:
        return cls(
            entry.seq,
            entry.tenant_id,
            entry.customer_tenant_id,
            entry.plant_id,
            entry.lot_id,
            frame(entry),
        )

    def for_(self, principal: Principal, lot_id: uuid.UUID | None) -> bool:
        if lot_id is not None and self.lot_id != lot_id:
            return False
        return can_read(
            principal,
            FEED_PERMISSION,
            tenant_id=self.tenant_id,
            customer_tenant_id=self.customer_tenant_id,
            plant_id=self.plant_id,
        )


class Subscription:
    """One stream's mailbox at its tenant's reader."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.lagged = False
        self._rows: deque[FeedRow] = deque()

    def push(self, rows: Sequence[FeedRow]) -> None:
        if len(self._rows) + len(rows) > MAX_BUFFER:
            self._rows.clear()
            self.lagged = True
        else:
            self._rows.extend(rows)
        self.woken.set()

    def take(self) -> list[FeedRow]:
        out = list(self._rows)
        self._rows.clear()
        return out


@dataclass(eq=False)
class _TenantReader:
    tenant_id: uuid.UUID
    subscribers: set[Subscription] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    last_seq: int = 0
    closed: bool = False


@dataclass(slots=True)
class HubMetrics:
    """Counters since the process started (on the service's `/metrics`)."""

    wakeups: int = 0  # reader passes: a NOTIFY of a tenant with streams, or the poll
    reads: int = 0  # feed queries the readers ran (a pass reads once, more for a backlog)
    rows: int = 0  # rows read
    delivered: int = 0  # rows handed to subscribers (before each stream's filter)


class FeedHub:
    def __init__(self, db: Database, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.metrics = HubMetrics()
        self._readers: dict[uuid.UUID, _TenantReader] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._conn: Any = None

    def _notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            reader = self._readers.get(uuid.UUID(payload))
        except ValueError:
            return
        if reader is not None:
            reader.wake.set()

    async def start(self) -> None:
        try:
            conn = await self.db.engine.connect()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.add_listener(FEED_CHANNEL, self._notify)  # type: ignore[union-attr]
            self._conn = conn
        except Exception:
            log.warning("feed LISTEN unavailable; the feed polls only", exc_info=True)

    async def stop(self) -> None:
        self._readers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()

    @property
    def streams(self) -> int:
        return sum(len(r.subscribers) for r in self._readers.values())

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[Subscription]:
        """A mailbox for the tenant's rows, open once the reader knows where it starts: rows
        up to there are the subscriber's to read (its catch-up), every later one arrives."""
        reader = self._readers.get(tenant_id)
        if reader is None:
            reader = _TenantReader(tenant_id)
            self._readers[tenant_id] = reader
            task = asyncio.create_task(self._run(reader), name=f"feed-{tenant_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        sub = Subscription()
        reader.subscribers.add(sub)
        try:
            await reader.ready.wait()
            yield sub
        finally:
            reader.subscribers.discard(sub)
            if not reader.subscribers and self._readers.get(tenant_id) is reader:
                del self._readers[tenant_id]
                # the reader ends after its pass in flight (a query is not cut mid-way)
                reader.closed = True
                reader.wake.set()

    async def _run(self, reader: _TenantReader) -> None:
        while not reader.closed:
            try:
                if not reader.ready.is_set():
                    async with self.db.transaction(reader.tenant_id) as session:
                        reader.last_seq = await repo.tenant_last_seq(session, reader.tenant_id)
                    reader.ready.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.wake.wait(), self.poll_seconds)
                reader.wake.clear()
                if reader.closed:
                    return
                self.metrics.wakeups += 1
                await self._read(reader)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("feed read failed for tenant %s", reader.tenant_id, exc_info=True)
                await asyncio.sleep(1.0)

    async def _read(self, reader: _TenantReader) -> None:
        while True:
            async with self.db.transaction(reader.tenant_id) as session:
                entries = await repo.tenant_after(session, reader.tenant_id, reader.last_seq, BATCH)
                rows = [FeedRow.of(e) for e in entries]
            self.metrics.reads += 1
            if not rows:
                return
            reader.last_seq = rows[-1].seq
            self.metrics.rows += len(rows)
            for sub in list(reader.subscribers):
                sub.push(rows)
                self.metrics.delivered += len(rows)
            if len(rows) < BATCH:
                return

    def metrics_text(self) -> str:
        m = self.metrics
        return (
            "# HELP weft_quality_feed_streams Open live feed streams.\n"
            "# TYPE weft_quality_feed_streams gauge\n"
            f"weft_quality_feed_streams {self.streams}\n"
            "# HELP weft_quality_feed_wakeups_total Feed reader passes (NOTIFY or poll).\n"
            "# TYPE weft_quality_feed_wakeups_total counter\n"
            f"weft_quality_feed_wakeups_total {m.wakeups}\n"
            "# HELP weft_quality_feed_reads_total Feed queries run by the readers.\n"
            "# TYPE weft_quality_feed_reads_total counter\n"
            f"weft_quality_feed_reads_total {m.reads}\n"
            "# HELP weft_quality_feed_rows_total Feed rows read by the readers.\n"
            "# TYPE weft_quality_feed_rows_total counter\n"
            f"weft_quality_feed_rows_total {m.rows}\n"
        )


def feed_lifespan(app: FastAPI) -> Any:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub = FeedHub(app.state.db)
        await hub.start()
        app.state.feed_hub = hub
        app.state.metric_sources = [*getattr(app.state, "metric_sources", ()), hub.metrics_text]
        try:
            yield
        finally:
            await hub.stop()

    return lifespan(app)
