"""A brand sees the orders and lots made for it, nothing of another brand, and writes nothing."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from tests.production.conftest import Factory, ok
from tests.production.test_lots import lot_at, make_order
from tools.stack import Stack


async def test_brand_viewer_sees_only_its_own(factory: Factory) -> None:
    c, tokens = factory.c, factory.tokens
    mine = await make_order(factory, "luxury-brand-x")
    theirs = await make_order(factory, "maison-y")
    my_lot = await lot_at(factory, mine, "qa_pending")
    their_lot = await lot_at(factory, theirs, "in_production")
    lbx = tokens.headers("lbx")

    orders = ok(await c.get("/orders", params={"limit": 200}, headers=lbx))["items"]
    ids = {o["id"] for o in orders}
    assert mine["id"] in ids and theirs["id"] not in ids
    lbx_tenant = factory.seed.data["tenants"]["luxury-brand-x"]
    assert all(o["customer_tenant_id"] == lbx_tenant for o in orders)
    # filters work for the brand too
    pending = ok(
        await c.get(
            "/orders", params={"status": "allocated", "plant_id": mine["plant_id"]}, headers=lbx
        )
    )["items"]
    assert [o["id"] for o in pending] == [mine["id"]]
    lots = ok(await c.get("/lots", params={"gate": "qa_pending"}, headers=lbx))["items"]
    assert my_lot["id"] in {x["id"] for x in lots}
    assert all(x["customer_tenant_id"] == lbx_tenant for x in lots)

    assert ok(await c.get(f"/orders/{mine['id']}", headers=lbx))["number"] == mine["number"]
    assert ok(await c.get(f"/lots/{my_lot['id']}", headers=lbx))["gate"] == "qa_pending"
    assert len(ok(await c.get(f"/lots/{my_lot['id']}/history", headers=lbx))["items"]) == 3
    for path in (
        f"/orders/{theirs['id']}",
        f"/lots/{their_lot['id']}",
        f"/lots/{their_lot['id']}/history",
    ):
        r = await c.get(path, headers=lbx)
        assert r.status_code == 404, path

    # Maison Y sees its own and not Luxury Brand X's
    my = tokens.headers("my")
    assert {o["id"] for o in ok(await c.get("/orders", headers=my))["items"]} >= {theirs["id"]}
    assert (await c.get(f"/orders/{mine['id']}", headers=my)).status_code == 404


async def test_brand_cannot_write_or_read_provider_resources(factory: Factory) -> None:
    c, tokens = factory.c, factory.tokens
    order = await make_order(factory, "luxury-brand-x")
    lot = await lot_at(factory, order, "qa_pending")
    for who in ("lbx", "lbx_admin"):
        h = tokens.headers(who)
        writes = [
            c.post("/orders", json={}, headers=h),
            c.post(f"/orders/{order['id']}/allocate", headers=h),
            c.post(f"/orders/{order['id']}/cancel", json={}, headers=h),
            c.post(f"/orders/{order['id']}/status", json={"to": "cancelled"}, headers=h),
            c.patch(f"/orders/{order['id']}", json={"notes": "x"}, headers=h),
            c.post(f"/lots/{lot['id']}/gate", json={"to": "approved"}, headers=h),
            c.post("/lots", json={"order_id": order["id"], "quantity": 1}, headers=h),
        ]
        for coro in writes:
            r = await coro
            assert r.status_code == 403, r.request.url
        for path in (
            "/inventory/items",
            "/products",
            "/plants",
            "/mrp/plan",
            "/production-orders",
            f"/orders/{order['id']}/allocations",
        ):
            assert (await c.get(path, headers=h)).status_code == 403, path
    assert ok(await c.get(f"/lots/{lot['id']}", headers=factory.h))["gate"] == "qa_pending"


async def test_rls_hides_other_brands_rows_even_without_a_filter(
    factory: Factory, stack: Stack
) -> None:
    """The database itself: a transaction set to Luxury Brand X reads only its rows."""
    await make_order(factory, "maison-y")
    await make_order(factory, "luxury-brand-x")
    lbx = uuid.UUID(factory.seed.data["tenants"]["luxury-brand-x"])
    paco = factory.seed.data["tenants"]["paco"]
    dsn = stack.service_dsn("production", driver="postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        # both halves: the brand's rows are its parent's only; with another parent (or none)
        # the brand reads nothing
        for parent in (str(uuid.uuid4()), ""):
            async with conn.transaction():
                await conn.execute(
                    "SELECT set_config('weft.tenant_id', $1, true),"
                    " set_config('weft.parent_tenant_id', $2, true)",
                    str(lbx),
                    parent,
                )
                assert await conn.fetchval("SELECT count(*) FROM orders") == 0
                assert await conn.fetchval("SELECT count(*) FROM lots") == 0
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('weft.tenant_id', $1, true),"
                " set_config('weft.parent_tenant_id', $2, true)",
                str(lbx),
                paco,
            )
            tenants = await conn.fetch("SELECT DISTINCT customer_tenant_id FROM orders")
            assert [r[0] for r in tenants] == [lbx]
            assert await conn.fetchval("SELECT count(*) FROM inventory_items") == 0
            assert await conn.fetchval("SELECT count(*) FROM products") == 0
            # read-only: a brand cannot update the orders it can read
            assert (
                await conn.fetchval(
                    "WITH u AS (UPDATE orders SET notes = 'x' RETURNING 1) SELECT count(*) FROM u"
                )
                == 0
            )
    finally:
        await conn.close()


async def test_through_the_gateway(factory: Factory, gateway: httpx.AsyncClient) -> None:
    order = await make_order(factory, "luxury-brand-x")
    lot = await lot_at(factory, order, "in_production")
    tokens = factory.tokens
    r = await gateway.get(f"/v1/production/lots/{lot['id']}", headers=tokens.headers("lbx"))
    assert r.status_code == 200 and r.json()["gate"] == "in_production"
    r = await gateway.get(f"/v1/production/lots/{lot['id']}", headers=tokens.headers("my"))
    assert r.status_code == 404
    # a write through the gateway, with an Idempotency-Key replayed
    h = tokens.headers(
        "ops", **{"Idempotency-Key": uuid.uuid4().hex, "If-Match": f'"{lot["version"]}"'}
    )
    first = await gateway.post(
        f"/v1/production/lots/{lot['id']}/gate", json={"to": "qa_pending"}, headers=h
    )
    assert first.status_code == 200, first.text
    again = await gateway.post(
        f"/v1/production/lots/{lot['id']}/gate", json={"to": "qa_pending"}, headers=h
    )
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    r = await gateway.post(
        f"/v1/production/lots/{lot['id']}/gate",
        json={"to": "approved"},
        headers=tokens.headers("lbx"),
    )
    assert r.status_code == 403
