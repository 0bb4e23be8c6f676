"""The in-process test layer itself: a real service app over ASGI, tokens from the test
key, one rolled-back transaction per test, row-level security still on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import FastAPI

from tests.fixtures.app import ClientFactory
from tests.fixtures.auth import TestKey
from tools.stack import Stack


async def test_a_write_is_readable_in_the_test_and_gone_outside_it(
    service_client: ClientFactory, test_key: TestKey, database: Stack
) -> None:
    production = await service_client("production")
    tenant = uuid.uuid4()
    code = f"PLT-{uuid.uuid4().hex[:6]}"
    resp = await production.post(
        "/plants", json={"code": code, "name": "Lyon"}, headers=test_key.headers(tenant)
    )
    assert resp.status_code == 201, resp.text
    plant = resp.json()
    got = await production.get(f"/plants/{plant['id']}", headers=test_key.headers(tenant))
    assert got.status_code == 200 and got.json()["code"] == code
    # the request "committed" to a savepoint of the test's transaction: nobody else sees it
    conn = await asyncpg.connect(database.admin_dsn())
    try:
        seen = await conn.fetchval(
            "SELECT count(*) FROM production.plants WHERE id = $1", uuid.UUID(plant["id"])
        )
    finally:
        await conn.close()
    assert seen == 0


async def test_another_tenant_sees_nothing(
    service_client: ClientFactory, test_key: TestKey
) -> None:
    production = await service_client("production")
    mine, other = uuid.uuid4(), uuid.uuid4()
    resp = await production.post(
        "/plants", json={"code": "PLT-A", "name": "A"}, headers=test_key.headers(mine)
    )
    assert resp.status_code == 201
    plant_id = resp.json()["id"]
    resp = await production.get(f"/plants/{plant_id}", headers=test_key.headers(other))
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    listed = await production.get("/plants", headers=test_key.headers(other))
    assert listed.status_code == 200 and listed.json()["items"] == []


async def test_tokens_are_verified_by_the_kit(
    service_client: ClientFactory, test_key: TestKey
) -> None:
    production = await service_client("production")
    tenant = uuid.uuid4()
    stranger = TestKey(kid=test_key.kid)  # same kid, another key: a forged signature
    resp = await production.get("/plants", headers=stranger.headers(tenant))
    assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"
    resp = await production.get("/plants", headers=test_key.headers(tenant, space="CLIENT"))
    assert resp.status_code == 403
    assert (await production.get("/plants")).status_code == 401


async def test_the_app_runs_its_lifespan_with_the_job_runner_prepared(
    service_app: Callable[[str], Awaitable[FastAPI]], database: Stack
) -> None:
    app = await service_app("sync")
    runner = app.state.jobs
    assert runner.run_worker is False  # jobs are deferred, not run, in this layer
    assert {"sync.prune_events", "kit.prune_idempotency_keys"} <= set(runner.registry.jobs)
    assert getattr(app.state, "relay", None) is None
