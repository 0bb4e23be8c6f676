"""Several relays on one outbox: every row is sent by one of them, once."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg

from libs.common.db import Database
from libs.common.relay import Relay
from tests.sync.conftest import topic
from tools.stack import Stack


async def test_concurrent_relays_share_the_outbox(
    stack: Stack, tenants: dict[str, str], db: asyncpg.Connection
) -> None:
    t = topic()
    ids = [uuid.uuid4() for _ in range(300)]
    await db.executemany(
        "INSERT INTO quality.outbox (id, type, tenant_id, subject, occurred_at, data) "
        "VALUES ($1, $2, $3, 'tests/relay', now(), $4)",
        [
            (i, f"{t}.x", uuid.UUID(tenants["paco"]), json.dumps({"n": n}))
            for n, i in enumerate(ids)
        ],
    )
    database = Database(stack.service_dsn("quality"), schema="quality", pool_size=4)
    relays = [
        Relay(
            database,
            service="quality",
            secret=stack.secrets["service_secret_quality"],
            ingest_url=f"{stack.service_url('sync')}/internal/events",
            batch_size=20,
        )
        for _ in range(2)
    ]
    try:
        for r in relays:
            await r.start()  # next to the relay inside the quality process: three in all
        for _ in range(200):
            left = await db.fetchval(
                "SELECT count(*) FROM quality.outbox WHERE id = ANY($1) AND sent_at IS NULL", ids
            )
            if left == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        for r in relays:
            await r.stop()
        await database.dispose()
    rows = await db.fetch("SELECT attempts FROM quality.outbox WHERE id = ANY($1)", ids)
    assert [r["attempts"] for r in rows] == [1] * 300  # nobody sent a row another was sending
    assert await db.fetchval("SELECT count(*) FROM sync.events WHERE id = ANY($1)", ids) == 300
