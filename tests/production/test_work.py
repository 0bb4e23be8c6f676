"""Production orders: stages in order, parameters against targets, blocking, labour."""

from __future__ import annotations

import asyncpg

from tests.production.conftest import Factory, ok
from tests.production.test_domain_rules import user_id
from tools.stack import Stack

STAGES = [
    {
        "name": "Wrapping",
        "estimated_minutes": 45,
        "parameters": [
            {"name": "glue temperature", "target": "180", "unit": "C", "tolerance": "5"}
        ],
    },
    {"name": "Assembly", "estimated_minutes": 20},
]


async def test_production_order_runs_stage_by_stage(factory: Factory, stack: Stack) -> None:
    c, h, tokens = factory.c, factory.h, factory.tokens
    plant = await factory.plant()
    sku = factory.sku("M")
    await factory.item(plant["id"], sku, "100")
    p = await factory.product(factory.sku("P"), [{"sku": sku, "quantity": 1}], stages=STAGES)
    order = await factory.order(plant["id"], p["id"], 10, customer="luxury-brand-x")
    r = await c.post("/production-orders", json={"order_id": order["id"]}, headers=h)
    assert r.status_code == 409  # not allocated yet
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    po = ok(await c.post("/production-orders", json={"order_id": order["id"]}, headers=h), 201)
    s1, s2 = po["stages"]
    assert s1["targets"][0]["target"] == "180" and s1["status"] == "pending"
    base = f"/production-orders/{po['id']}/stages"
    op = tokens.headers("operator")

    r = await c.post(f"{base}/{s2['id']}/start", headers=op)
    assert r.status_code == 409 and r.json()["code"] == "stage_out_of_order"
    r = await c.post(f"{base}/{s1['id']}/assign", json={"operator": "someone"}, headers=op)
    assert r.status_code == 403  # assigning is planning work (production:write)
    op_1 = await user_id(stack, tokens["operator"])
    ok(await c.post(f"{base}/{s1['id']}/assign", json={"operator": op_1}, headers=h))
    started = ok(await c.post(f"{base}/{s1['id']}/start", headers=op))
    assert started["status"] == "active" and started["assigned_to"] == op_1
    assert ok(await c.get(f"/orders/{order['id']}", headers=h))["status"] == "production"

    ok(await c.post(f"{base}/{s1['id']}/clock-in", headers=op), 201)
    r = await c.post(f"{base}/{s1['id']}/clock-in", headers=op)
    assert r.status_code == 409
    st = ok(
        await c.post(
            f"{base}/{s1['id']}/parameters",
            json={"actuals": [{"name": "glue temperature", "value": "191"}]},
            headers=op,
        )
    )
    assert st["actuals"][0]["within_tolerance"] is False
    blocked = ok(
        await c.post(f"{base}/{s1['id']}/block", json={"reason": "glue too hot"}, headers=op)
    )
    assert blocked["status"] == "blocked"
    got = ok(await c.get(f"/production-orders/{po['id']}", headers=h))
    assert (got["status"], got["blocked_reason"]) == ("blocked", "glue too hot")
    r = await c.post(f"{base}/{s1['id']}/complete", headers=op)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    ok(await c.post(f"{base}/{s1['id']}/resume", headers=op))
    done = ok(
        await c.post(
            f"{base}/{s1['id']}/complete",
            json={"actuals": [{"name": "glue temperature", "value": "182"}]},
            headers={**op, "If-Match": f'"{blocked["version"] + 1}"'},
        )
    )
    assert done["status"] == "completed" and done["actuals"][0]["within_tolerance"] is True
    labour = ok(await c.get(f"/production-orders/{po['id']}/labour", headers=h))
    assert labour["open_entries"] == 0 and len(labour["by_operator"]) == 1  # closed on complete
    assert ok(await c.get(f"/orders/{order['id']}", headers=h))["progress"] == 50

    ok(await c.post(f"{base}/{s2['id']}/start", headers=op))
    ok(await c.post(f"{base}/{s2['id']}/complete", headers=op))
    got = ok(await c.get(f"/production-orders/{po['id']}", headers=h))
    assert got["status"] == "completed" and got["completed_at"]

    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        n = await conn.fetchval(
            "SELECT count(*) FROM production.outbox WHERE type = 'production.stage.completed' "
            "AND data->>'production_order_id' = $1",
            po["id"],
        )
        statuses = await conn.fetch(
            "SELECT data->>'from' AS f, data->>'to' AS t FROM production.outbox "
            "WHERE type = 'production.order.status_changed' AND subject = $1 ORDER BY id",
            f"orders/{order['id']}",
        )
    finally:
        await conn.close()
    assert n == 2
    assert [(r["f"], r["t"]) for r in statuses] == [
        ("pending", "allocated"),
        ("allocated", "production"),
    ]
