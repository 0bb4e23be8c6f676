"""Dashboard figures by organisation type, and catalog coverage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from libs.common.db import Database
from services.catalog.coverage.escalation import escalate_ticket
from tests.catalog.conftest import Factory, ok, problem
from tests.catalog.test_coverage import example_c, policy_body
from tests.catalog.test_publishing import example_a
from tools.stack import Stack


@pytest.fixture
async def catalog_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.service_dsn("catalog"), schema="catalog", pool_size=2, max_overflow=0)
    try:
        yield db
    finally:
        await db.dispose()


async def test_ticket_stats_by_org_type(factory: Factory, catalog_db: Database) -> None:
    x = await example_c(factory)
    c = factory.c
    ok(await c.put("/policies/service-coverage", headers=factory.h, json=policy_body(x["m1"])), 201)
    body = {"equipment_id": x["e123"]["id"], "severity": "critical", "subject": "x"}
    first = await factory.post("/tickets", body)
    second = await factory.post("/tickets", {**body, "severity": "low"})
    ok(await c.post(f"/tickets/{second['id']}/resolve", headers=factory.h))
    due = datetime.fromisoformat(first["response_due_at"]) + timedelta(minutes=1)
    tenant = uuid.UUID(factory.seed.data["tenants"]["paco"])
    assert await escalate_ticket(catalog_db, tenant, uuid.UUID(first["id"]), due)  # to D1

    m1 = await factory.get("/stats/tickets", org_id=x["m1"]["id"])
    assert (m1["org_type"], m1["total"], m1["backlog"], m1["resolved"], m1["escalated"]) == (
        "manufacturer",
        2,
        1,
        1,
        1,
    )
    assert m1["sla_pct"] == 50.0
    assert {s["key"]: s["count"] for s in m1["by_severity"]} == {"critical": 1, "low": 1}
    h1 = await factory.get("/stats/tickets", org_id=x["h1"]["id"])
    assert h1["total"] == 2 and h1["scope"] == "tickets on equipment it owns"
    dl1 = await factory.get("/stats/tickets", org_id=x["dl1"]["id"])
    assert dl1["total"] == 1  # the resolved one; the other moved to D1
    d1 = await factory.get("/stats/tickets", org_id=x["d1"]["id"])
    assert d1["total"] == 2  # its own and its dealers'
    assert {r["key"]: r["count"] for r in d1["by_responsible_org"]} == {
        x["d1"]["id"]: 1,
        x["dl1"]["id"]: 1,
    }
    everything = await factory.get("/stats/tickets")
    assert everything["org_id"] is None and everything["total"] >= 2
    problem(await c.get("/stats/tickets", headers=factory.tokens.headers("my")), 403, "wrong_space")


async def test_catalog_stats(factory: Factory) -> None:
    a = await example_a(factory)
    dl1 = await factory.get("/stats/catalog", org_id=a["dl1"]["id"], channel_id=a["dealer"]["id"])
    assert (dl1["published_catalogs"], dl1["published_items"]) == (2, 2)
    assert {p["key"]: p["count"] for p in dl1["by_path"]} == {"direct": 1, "other": 1}
    assert dl1["coverage_pct"] is not None and dl1["active_skus"] >= 2
    d1 = await factory.get("/stats/catalog", org_id=a["d1"]["id"])
    assert d1["published_items"] >= 1
    whole = await factory.get("/stats/catalog", channel_id=a["dealer"]["id"])
    assert (whole["published_catalogs"], whole["published_items"]) == (2, 2)
