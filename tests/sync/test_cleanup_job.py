"""Retention runs as a scheduled job (sync.prune_events) on sync's own schema and role."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from types import SimpleNamespace

import asyncpg

from libs.common.db import Database
from libs.common.jobs import JobRunner
from services.sync.cleanup import jobs
from services.sync.config import Settings
from tools.stack import Stack


async def test_the_scheduled_job_removes_events_past_retention(database: Stack) -> None:
    admin = await asyncpg.connect(database.admin_dsn())
    old, fresh = uuid.uuid4(), uuid.uuid4()
    try:
        for eid, age in ((old, "31 days"), (fresh, "29 days")):
            await admin.execute(
                "INSERT INTO sync.events (id, type, tenant_id, subject, occurred_at, data, "
                "source, received_at) VALUES ($1, 'test.old', $2, 's', now(), $3, 'test', "
                f"now() - interval '{age}')",
                eid,
                uuid.uuid4(),
                json.dumps({}),
            )
        url = database.service_dsn("sync")
        db = Database(url, schema="sync", pool_size=2)
        runner = JobRunner(
            jobs,
            db,
            database_url=url,
            state=SimpleNamespace(settings=Settings(event_retention_days=30)),
            poll_seconds=0.2,
            schedules={"sync.prune_events": "* * * * * *"},
        )
        await runner.start()
        left: list[uuid.UUID] = []
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                rows = await admin.fetch(
                    "SELECT id FROM sync.events WHERE id = ANY($1)", [old, fresh]
                )
                left = [r["id"] for r in rows]
                if left == [fresh]:
                    break
                await asyncio.sleep(0.2)
        finally:
            await runner.stop()
            await db.dispose()
        await admin.execute("DELETE FROM sync.events WHERE id = $1", fresh)
    finally:
        await admin.close()
    assert left == [fresh]
