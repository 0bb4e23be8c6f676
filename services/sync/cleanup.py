"""Retention, as a scheduled job: events older than the published period go, with their
deliveries and attempts (foreign keys cascade). Expired idempotency keys are the kit's
own scheduled job (libs.common.housekeeping)."""

from __future__ import annotations

import logging

from sqlalchemy import text

from libs.common.db import Database
from libs.common.jobs import JobContext, JobRegistry
from services.sync.config import Settings

log = logging.getLogger("weft.sync.cleanup")

jobs = JobRegistry()

BATCH = 5000
_DELETE_OLD = text(
    """
    DELETE FROM events WHERE id IN (
        SELECT id FROM events WHERE received_at < now() - make_interval(days => :days)
        LIMIT :limit
    )
    """
)


async def cleanup_once(db: Database, settings: Settings) -> int:
    """Remove events past retention, a batch per transaction; returns how many."""
    total = 0
    while True:
        async with db.transaction(None, system=True) as s:
            result = await s.execute(
                _DELETE_OLD, {"days": settings.event_retention_days, "limit": BATCH}
            )
            n = int(result.rowcount or 0)  # type: ignore[attr-defined]
        total += n
        if n < BATCH:
            return total


@jobs.periodic("sync.prune_events", cron="*/15 * * * *")
async def prune_events(ctx: JobContext) -> int:
    removed = await cleanup_once(ctx.db, ctx.state.settings)
    if removed:
        log.info("old events removed", extra={"count": removed})
    return removed
