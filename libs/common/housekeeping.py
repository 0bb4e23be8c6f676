"""The kit's own scheduled jobs, run by every service's job runner.

- `kit.prune_idempotency_keys`: idempotency keys past their published period go, in
  batches, so the table stays the size of one period of POSTs.
- `kit.prune_audit_records`: audit records older than `audit_retention_days` (400 by
  default) go, daily, in batches.

A deployment can move or switch off a schedule with `<PREFIX>JOB_SCHEDULES`, e.g.
`WEFT_SYNC_JOB_SCHEDULES='{"kit.prune_idempotency_keys": "0 * * * *"}'`.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from libs.common.audit import service as audit
from libs.common.jobs import JobContext, JobRegistry

log = logging.getLogger("weft.housekeeping")

kit_jobs = JobRegistry()

PRUNE_BATCH = 5000
_HAS_KEYS = text("SELECT to_regclass('idempotency_keys') IS NOT NULL")
_PRUNE_KEYS = text(
    """
    DELETE FROM idempotency_keys WHERE ctid IN (
        SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT :limit
    )
    """
)


@kit_jobs.periodic("kit.prune_idempotency_keys", cron="*/15 * * * *")
async def prune_idempotency_keys(ctx: JobContext) -> int:
    """Delete expired idempotency keys of every tenant (a system job); returns how many."""
    total = 0
    while True:
        async with ctx.transaction() as session:
            if not (await session.execute(_HAS_KEYS)).scalar():
                return 0
            n = (await session.execute(_PRUNE_KEYS, {"limit": PRUNE_BATCH})).rowcount  # type: ignore[attr-defined]
        total += int(n or 0)
        if not n or n < PRUNE_BATCH:
            if total:
                log.info("expired idempotency keys removed", extra={"count": total})
            return total


@kit_jobs.periodic("kit.prune_audit_records", cron="23 3 * * *")
async def prune_audit_records(ctx: JobContext) -> int:
    """Delete audit records past the retention period (every tenant); returns how many."""
    days: int = ctx.state.settings.audit_retention_days
    total = await audit.prune(ctx.db, days)
    if total:
        log.info("audit records past retention removed", extra={"count": total, "days": days})
    return total
