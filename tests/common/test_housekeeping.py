"""The kit's scheduled jobs, run by a real job runner on a real schema."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from libs.common.db import Database
from libs.common.housekeeping import kit_jobs
from libs.common.idempotency import idempotency_table
from libs.common.jobs import JobRunner
from tests.fixtures.database import SchemaFactory
from tools.stack import Stack


async def test_expired_idempotency_keys_are_pruned_on_schedule(
    scratch_schema: SchemaFactory, database: Stack
) -> None:
    schema = await scratch_schema()
    engine = create_async_engine(schema.url)
    async with engine.begin() as conn:
        await conn.run_sync(idempotency_table(MetaData(schema=schema.schema)).create)
    await engine.dispose()
    admin = await asyncpg.connect(database.admin_dsn())
    tenant = uuid.uuid4()
    try:
        for key, expires in (("old", "-1 minute"), ("fresh", "1 hour")):
            await admin.execute(
                f'INSERT INTO "{schema.schema}".idempotency_keys (tenant_id, caller, key, '
                "request_hash, status, locked_until, expires_at, path) VALUES "
                f"($1, 'u', $2, 'h', 'done', now(), now() + interval '{expires}', '/x')",
                tenant,
                key,
            )
        db = Database(schema.url, schema=schema.schema, pool_size=2)
        runner = JobRunner(
            kit_jobs,
            db,
            database_url=schema.url,
            poll_seconds=0.2,
            schedules={"kit.prune_idempotency_keys": "* * * * * *"},
        )
        await runner.start()
        try:
            keys: list[str] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                keys = [
                    r["key"]
                    for r in await admin.fetch(
                        f'SELECT key FROM "{schema.schema}".idempotency_keys'
                    )
                ]
                if keys == ["fresh"]:
                    break
                await asyncio.sleep(0.2)
        finally:
            await runner.stop()
            await db.dispose()
    finally:
        await admin.close()
    assert keys == ["fresh"]
