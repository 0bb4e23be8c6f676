"""Retention: events older than the published period go, with their deliveries and attempts."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from libs.common.db import Database
from services.sync.config import Settings

log = logging.getLogger("weft.sync.cleanup")

_DELETE_OLD = text(
    """
    DELETE FROM events WHERE id IN (
        SELECT id FROM events WHERE received_at < now() - make_interval(days => :days)
        LIMIT 5000
    )
    """
)
_DELETE_KEYS = text("DELETE FROM idempotency_keys WHERE expires_at < now()")


async def cleanup_once(db: Database, settings: Settings) -> int:
    total = 0
    while True:
        async with db.transaction(None, system=True) as s:
            result = await s.execute(_DELETE_OLD, {"days": settings.event_retention_days})
            n = result.rowcount  # type: ignore[attr-defined]
            if total == 0:
                await s.execute(_DELETE_KEYS)
        total += int(n or 0)
        if not n or n < 5000:
            return total


async def cleanup_loop(db: Database, settings: Settings) -> None:
    while True:
        try:
            removed = await cleanup_once(db, settings)
            if removed:
                log.info("old events removed", extra={"count": removed})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event cleanup failed")
        await asyncio.sleep(settings.cleanup_interval_seconds)
