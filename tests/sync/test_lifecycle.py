"""Endpoint failing for days gets disabled, retention cleanup, breaker and schedule rules."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import httpx

from services.sync.config import DEFAULT_RETRY_SCHEDULE, Settings
from services.sync.delivery.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from services.sync.delivery.matching import type_matches
from services.sync.delivery.schedule import next_delay, parse_retry_after
from tests.sync.conftest import TYPE, Receiver, ingest, make_event, subscribe
from tools.stack import Stack


async def test_endpoint_failing_for_five_days_is_disabled(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    receiver.behaviours["sick"] = lambda _h, _n: (500, {}, 0.0)
    ep = await subscribe(gateway, admin_headers, receiver.url("sick"), [TYPE])
    await db.execute(
        "UPDATE sync.endpoints SET failing_since = now() - interval '6 days' WHERE id = $1",
        uuid.UUID(ep["id"]),
    )
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    await receiver.wait_for("sick", lambda h: len(h) >= 1)
    for _ in range(50):
        got = (await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers)).json()
        if not got["enabled"]:
            break
        await asyncio.sleep(0.1)
    assert (got["enabled"], got["disabled_reason"]) == (False, "failing")
    told = (
        await gateway.get(
            "/v1/sync/events", headers=admin_headers, params={"type": "sync.endpoint.disabled"}
        )
    ).json()["items"]
    assert any(
        e["data"]
        == {"schema_version": 1, "endpoint_id": ep["id"], "url": ep["url"], "reason": "failing"}
        for e in told
    )
    # enabling it again starts afresh
    resp = await gateway.patch(
        f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers, json={"enabled": True}
    )
    assert resp.status_code == 200
    assert resp.json()["failing_since"] is None and resp.json()["disabled_reason"] is None


async def test_retention_cleanup_removes_old_events(
    stack: Stack, tenants: dict[str, str], db: asyncpg.Connection
) -> None:
    from libs.common.db import Database
    from services.sync.cleanup import cleanup_once

    old, fresh = uuid.uuid4(), uuid.uuid4()
    for eid, age in ((old, "31 days"), (fresh, "29 days")):
        await db.execute(
            "INSERT INTO sync.events (id, type, tenant_id, subject, occurred_at, data, source, "
            f"received_at) VALUES ($1, 'test.old', $2, 's', now(), $3, 'test', now() - interval '{age}')",
            eid,
            uuid.UUID(tenants["paco"]),
            json.dumps({}),
        )
    database = Database(stack.service_dsn("sync"), schema="sync", pool_size=1)
    try:
        removed = await cleanup_once(database, Settings(event_retention_days=30))
    finally:
        await database.dispose()
    assert removed >= 1
    left = await db.fetch("SELECT id FROM sync.events WHERE id = ANY($1)", [old, fresh])
    assert [r["id"] for r in left] == [fresh]


def test_breaker_opens_then_half_opens() -> None:
    b = CircuitBreaker(threshold=3, cooldown=10, concurrency=5)
    assert b.capacity(0) == 5
    for _ in range(3):
        b.record(False, now=1)
    assert (b.state, b.capacity(5)) == (OPEN, 0)
    assert (b.capacity(11), b.state) == (1, HALF_OPEN)
    b.record(False, now=12)
    assert (b.state, b.capacity(13)) == (OPEN, 0)
    assert b.capacity(23) == 1
    b.record(True)
    assert (b.state, b.capacity(24)) == (CLOSED, 5)


def test_schedule_and_retry_after() -> None:
    assert DEFAULT_RETRY_SCHEDULE == [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert next_delay(DEFAULT_RETRY_SCHEDULE, 1, 0.0) == 5
    d = next_delay(DEFAULT_RETRY_SCHEDULE, 2, 0.1)
    assert d is not None and 270 <= d <= 330
    assert next_delay(DEFAULT_RETRY_SCHEDULE, 10, 0.1) is None
    assert parse_retry_after("120", 3600) == 120
    assert parse_retry_after("999999", 3600) == 3600
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 3600) == 0
    assert parse_retry_after("soon", 3600) is None


def test_type_filters() -> None:
    assert type_matches("*", "production.lot.gate_reached")
    assert type_matches("production.lot.*", "production.lot.gate_reached")
    assert not type_matches("production.lot.*", "production.order.status_changed")
    assert type_matches("production.*", "production.lot.gate_reached")
    assert not type_matches("production.lot", "production.lot.gate_reached")
