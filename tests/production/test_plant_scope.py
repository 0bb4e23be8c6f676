"""Roles granted for one plant act at that plant only, on every plant-owned route.

Identity does not put `plant_perms` into tokens yet, so the service runs in-process here
(ASGI transport, the real database) with the kit's Principal carrying the claim as
identity will issue it; the data is made over HTTP by Paco's ops manager.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from libs.common.auth import Principal, Space
from libs.common.deps import get_principal
from services.production.app import create_app
from tests.production.conftest import Factory, ok
from tests.production.test_lots import lot_at, make_order
from tools.services import SERVICES
from tools.stack import Stack

OPERATOR = frozenset(
    {
        "orders:read",
        "inventory:read",
        "products:read",
        "plants:read",
        "production:read",
        "production:execute",
        "lots:read",
        "lots:write",
    }
)
OPS_MANAGER = frozenset(
    {
        "orders:*",
        "inventory:*",
        "products:*",
        "plants:*",
        "allocations:*",
        "mrp:*",
        "production:*",
        "lots:*",
    }
)


@pytest.fixture
async def inproc(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    spec = next(s for s in SERVICES if s.name == "production")
    for key, value in stack.service_env(spec).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(f"{spec.env_prefix}RELAY_ENABLED", "false")
    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://production") as c:
            yield app, c


def as_plant_role(
    app: FastAPI, factory: Factory, plant_id: str, perms: frozenset[str]
) -> Callable[[], Principal]:
    principal = Principal(
        subject=str(uuid.uuid4()),
        tenant_id=uuid.UUID(factory.seed.data["tenants"]["paco"]),
        space=Space.PROVIDER,
        roles=frozenset({"OPERATOR"}),
        permissions=frozenset(),
        token_id=uuid.uuid4().hex,
        expires_at=int(time.time()) + 300,
        plant_permissions={uuid.UUID(plant_id): perms},
    )

    def override() -> Principal:
        return principal

    app.dependency_overrides[get_principal] = override
    return override


async def test_an_operator_for_one_plant_acts_there_only(
    factory: Factory, inproc: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, c = inproc
    mine, other = await make_order(factory), await make_order(factory)
    a = mine["plant_id"]
    assert other["plant_id"] != a
    lot_a, lot_b = await lot_at(factory, mine, "created"), await lot_at(factory, other, "created")
    as_plant_role(app, factory, a, OPERATOR)

    orders = ok(await c.get("/orders", params={"limit": 200}))["items"]
    assert mine["id"] in {o["id"] for o in orders}
    assert {o["plant_id"] for o in orders} == {a}
    assert ok(await c.get(f"/orders/{mine['id']}"))["id"] == mine["id"]
    r = await c.get(f"/orders/{other['id']}")
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"

    lots = ok(await c.get("/lots", params={"limit": 200}))["items"]
    assert {x["plant_id"] for x in lots} == {a}
    r = await c.post(f"/lots/{lot_b['id']}/gate", json={"to": "in_production"})
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"
    moved = ok(await c.post(f"/lots/{lot_a['id']}/gate", json={"to": "in_production"}))
    assert moved["gate"] == "in_production"
    # what the plant role does not grant at all stays refused
    r = await c.post(f"/lots/{lot_a['id']}/gate", json={"to": "qa_pending"})
    assert r.status_code == 200
    r = await c.post(f"/lots/{lot_a['id']}/gate", json={"to": "approved"})
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"

    items = ok(await c.get("/inventory/items", params={"limit": 200}))["items"]
    assert items and {i["plant_id"] for i in items} == {a}
    pos = ok(await c.get("/production-orders", params={"limit": 200}))["items"]
    assert all(p["plant_id"] == a for p in pos)


async def test_a_plant_manager_plans_and_writes_at_its_plant_only(
    factory: Factory, inproc: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    app, c = inproc
    mine, other = await make_order(factory), await make_order(factory)
    a, b = mine["plant_id"], other["plant_id"]
    as_plant_role(app, factory, a, OPS_MANAGER)

    plan = ok(await c.get("/mrp/plan"))
    assert plan["lines"] and {line["plant_id"] for line in plan["lines"]} == {a}
    r = await c.get("/mrp/plan", params={"plant_id": b})
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"

    body = {"sku": factory.sku("PS"), "name": "x", "unit": "pcs"}
    r = await c.post("/inventory/items", json={**body, "plant_id": b})
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"
    ok(await c.post("/inventory/items", json={**body, "plant_id": a}), 201)

    r = await c.post("/production-orders", json={"order_id": other["id"]})
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"
    po = ok(await c.post("/production-orders", json={"order_id": mine["id"]}), 201)
    assert po["plant_id"] == a

    r = await c.post(f"/orders/{other['id']}/cancel", json={})
    assert r.status_code == 403 and r.json()["code"] == "plant_not_permitted"
