"""A record's customer is a client tenant of its owner, and a brand reads only what its own
provider made for it (repository and row-level security, both halves of the rule)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg

from libs.common.webhooks import signed_headers
from tests.production.conftest import Factory, OtherProvider, ok
from tests.production.test_lots import lot_at, make_order
from tools.stack import Stack


async def _order_body(factory: Factory, customer: str | None) -> dict:
    plant = await factory.plant()
    p = await factory.product(factory.sku(f"T{uuid.uuid4().hex[:4]}"), [])
    return {
        "number": f"T-{uuid.uuid4().hex[:10]}",
        "customer_tenant_id": customer,
        "plant_id": plant["id"],
        "product_id": p["id"],
        "quantity": 10,
        "unit_price": "5",
        "currency": "EUR",
        "due_date": "2026-12-31",
    }


async def test_an_order_names_a_client_of_its_owner(
    factory: Factory, other_provider: OtherProvider
) -> None:
    tenants = factory.seed.data["tenants"]
    # another provider's brand, the provider's own parent, the provider itself, nobody
    for customer in (
        other_provider.brand_id,
        tenants["pack-polish"],
        tenants["paco"],
        str(uuid.uuid4()),
    ):
        body = await _order_body(factory, customer)
        r = await factory.c.post("/orders", json=body, headers=factory.h)
        assert r.status_code == 422, (customer, r.text)
        assert r.json()["code"] == "unknown_customer"
    # its own brands are fine
    body = await _order_body(factory, tenants["maison-y"])
    ok(await factory.c.post("/orders", json=body, headers=factory.h), 201)


async def test_a_brand_made_a_moment_ago_is_learned_from_identity(
    factory: Factory, other_provider: OtherProvider, stack: Stack
) -> None:
    """No event has arrived for the other provider's brand: production asks identity with
    the caller's token, then keeps the answer."""
    c, h = factory.c, other_provider.h
    plant = ok(
        await c.post(
            "/plants", headers=h, json={"code": f"O-{uuid.uuid4().hex[:6]}", "name": "Other"}
        ),
        201,
    )
    product = ok(
        await c.post(
            "/products", headers=h, json={"sku": f"O-{uuid.uuid4().hex[:6]}", "name": "Box"}
        ),
        201,
    )
    ok(
        await c.post(
            f"/products/{product['id']}/versions/{product['versions'][0]['id']}/release",
            headers=h,
        )
    )
    order = ok(
        await c.post(
            "/orders",
            headers=h,
            json={
                "number": f"O-{uuid.uuid4().hex[:6]}",
                "customer_tenant_id": other_provider.brand_id,
                "plant_id": plant["id"],
                "product_id": product["id"],
                "quantity": 5,
                "unit_price": "1.5",
                "currency": "EUR",
                "due_date": "2026-12-31",
            },
        ),
        201,
    )
    assert order["customer_tenant_id"] == other_provider.brand_id
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        row = await conn.fetchrow(
            "SELECT parent_id, kind FROM production.tenants WHERE id = $1",
            uuid.UUID(other_provider.brand_id),
        )
    finally:
        await conn.close()
    assert row is not None and str(row["parent_id"]) == other_provider.tenant_id
    assert row["kind"] == "client"


async def test_identity_tenant_events_feed_the_copy(factory: Factory, stack: Stack) -> None:
    """A client tenant identity announced (and that only the event describes) is accepted."""
    paco = factory.seed.data["tenants"]["paco"]
    brand = str(uuid.uuid4())
    event = {
        "id": str(uuid.uuid4()),
        "type": "identity.tenant.created",
        "tenant_id": paco,
        "customer_tenant_id": brand,
        "subject": f"tenant/{brand}",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {
            "id": brand,
            "parent_id": paco,
            "kind": "client",
            "name": "Evented brand",
            "slug": f"ev-{brand[:8]}",
            "logo_url": None,
            "version": 1,
        },
    }
    body = json.dumps(event).encode()
    secret = stack.secrets["service_secret_production"]
    r = await factory.c.post(
        "/internal/events/identity",
        content=body,
        headers=signed_headers([secret], event["id"], body),
    )
    assert r.status_code == 200 and r.json()["status"] == "recorded", r.text
    # a forged delivery is refused
    r = await factory.c.post(
        "/internal/events/identity",
        content=body,
        headers=signed_headers(["whsec_" + "A" * 32], event["id"], body),
    )
    assert r.status_code == 401
    ok(
        await factory.c.post("/orders", json=await _order_body(factory, brand), headers=factory.h),
        201,
    )


async def test_a_brand_reads_only_what_its_own_provider_made(
    factory: Factory, other_provider: OtherProvider, stack: Stack
) -> None:
    """A row naming Luxury Brand X but owned by another provider stays hidden from the
    brand, in the API (repository) and in the database (policy)."""
    lbx = factory.seed.data["tenants"]["luxury-brand-x"]
    mine = await make_order(factory, "luxury-brand-x")
    lot = await lot_at(factory, mine, "in_production")
    # the other provider's own order and lot, then (behind every API) renamed to LBX
    c, h = factory.c, other_provider.h
    plant = ok(
        await c.post("/plants", headers=h, json={"code": f"O-{uuid.uuid4().hex[:6]}", "name": "O"}),
        201,
    )
    sku = f"O-{uuid.uuid4().hex[:6]}"
    product = ok(await c.post("/products", headers=h, json={"sku": sku, "name": "Box"}), 201)
    ok(
        await c.post(
            f"/products/{product['id']}/versions/{product['versions'][0]['id']}/release",
            headers=h,
        )
    )
    theirs = ok(
        await c.post(
            "/orders",
            headers=h,
            json={
                "number": f"O-{uuid.uuid4().hex[:6]}",
                "customer_tenant_id": other_provider.brand_id,
                "plant_id": plant["id"],
                "product_id": product["id"],
                "quantity": 5,
                "unit_price": "1.5",
                "currency": "EUR",
                "due_date": "2026-12-31",
            },
        ),
        201,
    )
    their_lot = ok(
        await c.post("/lots", headers=h, json={"order_id": theirs["id"], "quantity": 5}), 201
    )
    admin = await asyncpg.connect(stack.admin_dsn())
    try:
        await admin.execute(
            "UPDATE production.orders SET customer_tenant_id = $1 WHERE id = $2",
            uuid.UUID(lbx),
            uuid.UUID(theirs["id"]),
        )
        await admin.execute(
            "UPDATE production.lots SET customer_tenant_id = $1 WHERE id = $2",
            uuid.UUID(lbx),
            uuid.UUID(their_lot["id"]),
        )
    finally:
        await admin.close()

    b = factory.tokens.headers("lbx")
    assert (await c.get(f"/orders/{theirs['id']}", headers=b)).status_code == 404
    assert (await c.get(f"/lots/{their_lot['id']}", headers=b)).status_code == 404
    assert (await c.get(f"/lots/{their_lot['id']}/history", headers=b)).status_code == 404
    listed = ok(await c.get("/orders", params={"limit": 200}, headers=b))["items"]
    assert theirs["id"] not in {o["id"] for o in listed}
    assert mine["id"] in {o["id"] for o in listed}
    lots = ok(await c.get("/lots", params={"limit": 200}, headers=b))["items"]
    assert their_lot["id"] not in {x["id"] for x in lots} and lot["id"] in {x["id"] for x in lots}

    # the policy alone: LBX with Paco as parent sees Paco's order, not the other one
    conn = await asyncpg.connect(stack.service_dsn("production", driver="postgresql"))
    try:
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('weft.tenant_id', $1, true),"
                " set_config('weft.parent_tenant_id', $2, true)",
                lbx,
                factory.seed.data["tenants"]["paco"],
            )
            seen = {
                str(r[0])
                for r in await conn.fetch(
                    "SELECT id FROM orders WHERE id = ANY($1::uuid[])",
                    [uuid.UUID(mine["id"]), uuid.UUID(theirs["id"])],
                )
            }
        assert seen == {mine["id"]}
    finally:
        await conn.close()
