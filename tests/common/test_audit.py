"""One audit record per request (libs.common.audit), in-process through production: a write
leaves one record in its own transaction, a denial one of its own, a read that succeeds
none; the listing is the tenant's only; the gateway's signed batches; retention."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from libs.common.audit import service as audit_service
from libs.common.housekeeping import kit_jobs
from libs.common.webhooks import generate_secret, signed_headers
from tests.fixtures.auth import TestKey
from tools.stack import Stack


@dataclass
class Prod:
    app: FastAPI
    client: httpx.AsyncClient
    key: TestKey
    secret: str  # the gateway's audit secret, as the stack gives it to every service

    def h(self, tenant: uuid.UUID, **kw: Any) -> dict[str, str]:
        return self.key.headers(tenant, **kw)

    async def records(self, tenant: uuid.UUID, **params: str) -> list[dict[str, Any]]:
        resp = await self.client.get(
            "/audit-records", params={"limit": "200", **params}, headers=self.h(tenant)
        )
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items


@pytest.fixture
async def prod_app(
    service_app: Callable[[str], Awaitable[FastAPI]],
    test_key: TestKey,
    database: Stack,
) -> AsyncIterator[Prod]:
    app = await service_app("production")
    secret = database.secrets["gateway_audit_secret"]
    assert app.state.settings.audit_ingest_secret == secret
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://production.test") as c:
        yield Prod(app, c, test_key, secret)


async def _plant(p: Prod, tenant: uuid.UUID, **kw: Any) -> httpx.Response:
    code = f"PLT-{uuid.uuid4().hex[:6]}"
    return await p.client.post(
        "/plants", json={"code": code, "name": "Lyon"}, headers=p.h(tenant, **kw)
    )


async def test_a_write_leaves_one_record_naming_what_it_touched(prod_app: Prod) -> None:
    tenant, user = uuid.uuid4(), uuid.uuid4()
    resp = await prod_app.client.post(
        "/plants",
        json={"code": "PLT-1", "name": "Lyon"},
        headers={**prod_app.h(tenant, subject=user), "X-Request-Id": "req-audit-1"},
    )
    assert resp.status_code == 201, resp.text
    plant = resp.json()["id"]
    (record,) = await prod_app.records(tenant)
    assert record["request_id"] == "req-audit-1"
    assert record["actor"] == str(user) and record["act"] is None
    assert record["tenant_id"] == str(tenant) and record["space"] == "PROVIDER"
    assert (record["method"], record["route"], record["path"]) == ("POST", "/plants", "/plants")
    assert (record["status"], record["outcome"], record["code"]) == (201, "success", None)
    assert f"plants/{plant}" in record["touched"]


async def test_a_write_of_many_statements_is_still_one_record(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    plant = (await _plant(prod_app, tenant)).json()["id"]
    items = []
    for sku in ("A", "B", "C"):
        r = await prod_app.client.post(
            "/inventory/items",
            json={"plant_id": plant, "sku": sku, "name": sku, "initial_quantity": "5"},
            headers=prod_app.h(tenant),
        )
        assert r.status_code == 201, r.text
        items.append(r.json()["id"])
    product = await prod_app.client.post(
        "/products",
        json={
            "sku": "P",
            "name": "P",
            "bom": [{"sku": s, "quantity": "1"} for s in ("A", "B", "C")],
            "stages": [],
        },
        headers={**prod_app.h(tenant), "X-Request-Id": "req-many"},
    )
    assert product.status_code == 201, product.text
    (record,) = await prod_app.records(tenant, request_id="req-many")
    # the product, its version and its BOM lines: several rows, one record naming them
    assert f"products/{product.json()['id']}" in record["touched"]
    assert len(record["touched"]) >= 3
    assert len(await prod_app.records(tenant)) == 5  # plant, 3 items, product


async def test_reads_that_succeed_write_nothing_and_cost_no_statement(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    plant = (await _plant(prod_app, tenant)).json()["id"]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = prod_app.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for path in ("/plants", f"/plants/{plant}"):
            r = await prod_app.client.get(path, headers=prod_app.h(tenant))
            assert r.status_code == 200, r.text
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "audit_records" in s]
    assert len(await prod_app.records(tenant)) == 1  # the plant's write only


async def test_each_denied_request_leaves_one_denied_record(prod_app: Prod) -> None:
    tenant, user = uuid.uuid4(), uuid.uuid4()
    no_perm = prod_app.h(tenant, perms=["orders:read"], subject=user)
    r = await prod_app.client.get("/plants", headers=no_perm)
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    r = await _plant(prod_app, tenant, space="CLIENT", subject=user)
    assert r.status_code == 403 and r.json()["code"] == "wrong_space", r.text
    records = await prod_app.records(tenant, outcome="denied")
    assert [(x["method"], x["code"], x["space"]) for x in records] == [
        ("POST", "wrong_space", "CLIENT"),
        ("GET", "missing_permission", "PROVIDER"),
    ]
    assert all(x["status"] == 403 and x["actor"] == str(user) for x in records)
    assert len(await prod_app.records(tenant)) == 2


async def test_a_rolled_back_write_leaves_an_error_record_not_a_success(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    first = await prod_app.client.post(
        "/plants", json={"code": "DUP", "name": "A"}, headers=prod_app.h(tenant)
    )
    assert first.status_code == 201
    # the same code again: the insert fails at flush, the transaction rolls back
    again = await prod_app.client.post(
        "/plants",
        json={"code": "DUP", "name": "B"},
        headers={**prod_app.h(tenant), "X-Request-Id": "req-dup"},
    )
    assert again.status_code == 409, again.text
    (record,) = await prod_app.records(tenant, request_id="req-dup")
    assert (record["outcome"], record["status"], record["code"]) == (
        "error",
        409,
        again.json()["code"],
    )
    assert [x["outcome"] for x in await prod_app.records(tenant)] == ["error", "success"]
    async with prod_app.app.state.db.transaction(tenant) as s:
        plants = (await s.execute(text("SELECT count(*) FROM plants"))).scalar()
    assert plants == 1


async def test_an_idempotent_replay_is_one_more_record_marked_replayed(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    h = {**prod_app.h(tenant), "Idempotency-Key": "k-1"}
    body = {"code": "IDEM", "name": "A"}
    r1 = await prod_app.client.post("/plants", json=body, headers=h)
    r2 = await prod_app.client.post("/plants", json=body, headers=h)
    assert (r1.status_code, r2.status_code) == (201, 201)
    assert r2.headers["idempotent-replayed"] == "true"
    records = await prod_app.records(tenant)
    assert [x["details"].get("replayed", False) for x in records] == [True, False]
    assert f"plants/{r1.json()['id']}" in records[1]["touched"]


async def test_the_listing_filters_pages_and_is_the_tenants_own(prod_app: Prod) -> None:
    mine, other, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for _ in range(3):
        assert (await _plant(prod_app, mine, subject=user)).status_code == 201
    assert (await _plant(prod_app, mine)).status_code == 201
    r = await prod_app.client.get("/plants", headers=prod_app.h(mine, perms=["x:y"]))
    assert r.status_code == 403
    assert (await _plant(prod_app, other)).status_code == 201

    assert len(await prod_app.records(mine)) == 5
    assert len(await prod_app.records(mine, actor=str(user))) == 3
    assert len(await prod_app.records(mine, outcome="denied")) == 1
    assert len(await prod_app.records(mine, route="/plants", outcome="success")) == 4
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert await prod_app.records(mine, since=later) == []
    assert len(await prod_app.records(mine, until=later)) == 5
    # keyset pages, newest first, no record twice
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await prod_app.client.get("/audit-records", params=params, headers=prod_app.h(mine))
        assert page.status_code == 200, page.text
        seen += [x["id"] for x in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5 and seen == sorted(seen, reverse=True)
    # another tenant's admin sees its own record only, and the row-level policy agrees
    theirs = await prod_app.records(other)
    assert len(theirs) == 1 and theirs[0]["tenant_id"] == str(other)
    async with prod_app.app.state.db.transaction(other) as s:
        rows = (await s.execute(text("SELECT DISTINCT tenant_id FROM audit_records"))).all()
    assert [r[0] for r in rows] == [other]


async def test_listing_needs_audit_read_and_refuses_bad_input(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    r = await prod_app.client.get(
        "/audit-records", headers=prod_app.h(tenant, perms=["plants:read"])
    )
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    r = await prod_app.client.get(
        "/audit-records", params={"outcome": "maybe"}, headers=prod_app.h(tenant)
    )
    assert r.status_code == 422
    r = await prod_app.client.get(
        "/audit-records", params={"cursor": "nope"}, headers=prod_app.h(tenant)
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    (denied,) = await prod_app.records(tenant)  # the 403 above; the 4xx reads are not
    assert denied["route"] == "/audit-records" and denied["outcome"] == "denied"


def _gateway_record(tenant: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": str(tenant),
        "request_id": "gw-1",
        "actor": "someone",
        "act": {"sub": "real-admin"},
        "space": "PROVIDER",
        "method": "POST",
        "route": "/v1/production/plants",
        "path": "/v1/production/plants",
        "status": 429,
        "outcome": "throttled",
        "code": "rate_limited",
        "at": datetime.now(UTC).isoformat(),
        **kw,
    }


async def _ingest(
    p: Prod, records: list[dict[str, Any]], secret: str | None = None
) -> httpx.Response:
    body = orjson.dumps({"records": records})
    headers = signed_headers([secret or p.secret], uuid.uuid4().hex, body)
    return await p.client.post("/internal/audit-records", content=body, headers=headers)


async def test_the_gateways_signed_records_are_stored_once(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    batch = [_gateway_record(tenant), _gateway_record(tenant, status=403, outcome="denied")]
    r = await _ingest(prod_app, batch)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0}
    r = await _ingest(prod_app, batch)  # a retried batch
    assert r.json() == {"accepted": 0, "duplicates": 2}
    records = await prod_app.records(tenant, actor="real-admin")  # `act` matches too
    assert sorted(x["outcome"] for x in records) == ["denied", "throttled"]
    assert len(await prod_app.records(tenant, outcome="throttled")) == 1


async def test_unsigned_or_forged_records_are_refused(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    r = await _ingest(prod_app, [_gateway_record(tenant)], secret=generate_secret())
    assert r.status_code == 401 and r.json()["code"] == "invalid_signature"
    r = await prod_app.client.post("/internal/audit-records", json={"records": []})
    assert r.status_code == 401
    r = await _ingest(prod_app, [{**_gateway_record(tenant), "outcome": "fine"}])
    assert r.status_code == 422 and r.json()["code"] == "invalid_batch"
    assert await prod_app.records(tenant) == []


async def test_records_past_the_retention_period_are_pruned(prod_app: Prod) -> None:
    tenant = uuid.uuid4()
    old = (datetime.now(UTC) - timedelta(days=401)).isoformat()
    recent = (datetime.now(UTC) - timedelta(days=399)).isoformat()
    r = await _ingest(
        prod_app, [_gateway_record(tenant, at=old), _gateway_record(tenant, at=recent)]
    )
    assert r.status_code == 200
    assert "kit.prune_audit_records" in kit_jobs.jobs
    assert prod_app.app.state.settings.audit_retention_days == 400
    removed = await audit_service.prune(prod_app.app.state.db, 400, batch=1)
    assert removed >= 1
    (kept,) = await prod_app.records(tenant)
    assert kept["at"].startswith(recent[:10])


async def test_an_offline_replay_batch_is_one_record_naming_what_its_ops_touched(
    prod_app: Prod,
) -> None:
    tenant = uuid.uuid4()
    ops = [
        {
            "seq": i,
            "idempotency_key": f"op-{i}",
            "method": "POST",
            "path": "/plants",
            "body": {"code": f"OFF-{i}", "name": "Offline"},
        }
        for i in range(3)
    ]
    ops.append({**ops[0], "seq": 3, "idempotency_key": "op-dup"})  # a conflict: the same code
    r = await prod_app.client.post(
        "/replay",
        json={"ops": ops},
        headers={**prod_app.h(tenant), "X-Request-Id": "req-batch"},
    )
    assert r.status_code == 200, r.text
    assert [x["outcome"] for x in r.json()["results"]] == ["applied"] * 3 + ["conflict"]
    (record,) = await prod_app.records(tenant)
    assert (record["request_id"], record["route"], record["outcome"]) == (
        "req-batch",
        "/replay",
        "success",
    )
    plants = [x for x in record["touched"] if x.startswith("plants/")]
    assert len(plants) == 3
