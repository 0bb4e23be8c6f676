"""Wakes the SSE streams of a tenant when feed rows of that tenant commit (LISTEN on
`quality_feed`; the NOTIFY leaves with the writing transaction's commit). Streams still
poll every few seconds, so a lost connection costs latency, never events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from libs.common.db import Database
from services.quality.events import FEED_CHANNEL

log = logging.getLogger("weft.quality.feed")


class FeedHub:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._conn: Any = None

    def _notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        for event in self._waiters.get(payload, ()):
            event.set()

    async def start(self) -> None:
        try:
            conn = await self.db.engine.connect()
            raw = await conn.get_raw_connection()
            await raw.driver_connection.add_listener(FEED_CHANNEL, self._notify)  # type: ignore[union-attr]
            self._conn = conn
        except Exception:
            log.warning("feed LISTEN unavailable; streams poll only", exc_info=True)

    async def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        event = asyncio.Event()
        key = str(tenant_id)
        self._waiters.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    self._waiters.pop(key, None)


def feed_lifespan(app: FastAPI) -> Any:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub = FeedHub(app.state.db)
        await hub.start()
        app.state.feed_hub = hub
        try:
            yield
        finally:
            await hub.stop()

    return lifespan(app)
