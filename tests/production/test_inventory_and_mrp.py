"""Movements, the append-only ledger, reorder alerts, and a small MRP plan with numbers."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import asyncpg
import pytest

from tests.production.conftest import Factory, ok
from tools.stack import Stack


async def test_movements_ledger_and_reorder_alert(factory: Factory, stack: Stack) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    item = await factory.item(
        plant["id"],
        factory.sku("GLUE"),
        "50",
        reorder_level="20",
        reorder_quantity="25",
        unit_cost="3.20",
    )
    assert item["unit_cost"] == "3.2000" and item["currency"] == "EUR"
    url = f"/inventory/items/{item['id']}"
    e = ok(
        await c.post(
            f"{url}/movements",
            json={"kind": "issue", "quantity": "35", "reference": "WO-1"},
            headers=h,
        ),
        201,
    )
    assert (e["on_hand_after"], e["allocated_after"]) == ("15.000", "0.000")
    r = await c.post(f"{url}/movements", json={"kind": "issue", "quantity": "16"}, headers=h)
    assert r.status_code == 409 and r.json()["shortages"][0]["short"] == "1.000"
    r = await c.post(f"{url}/movements", json={"kind": "adjustment", "quantity": "-1"}, headers=h)
    assert r.status_code == 422  # an adjustment needs a reason
    ok(
        await c.post(
            f"{url}/movements",
            json={"kind": "adjustment", "quantity": "-1", "note": "cycle count"},
            headers=h,
        ),
        201,
    )
    ok(await c.post(f"{url}/movements", json={"kind": "return", "quantity": "2"}, headers=h), 201)
    got = ok(await c.get(url, headers=h))
    assert (got["on_hand"], got["available"], got["below_reorder_level"]) == (
        "16.000",
        "16.000",
        True,
    )
    page1 = ok(await c.get(f"{url}/ledger", params={"limit": 2}, headers=h))
    page2 = ok(
        await c.get(f"{url}/ledger", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=h)
    )
    kinds = [x["kind"] for x in page1["items"] + page2["items"]]
    assert kinds == ["return", "adjustment", "issue", "receipt"] and page2["next_cursor"] is None
    listed = ok(
        await c.get(
            "/inventory/items",
            params={"plant_id": plant["id"], "below_reorder_level": True},
            headers=h,
        )
    )
    assert [x["id"] for x in listed["items"]] == [item["id"]]

    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        events = await conn.fetch(
            "SELECT data FROM production.outbox WHERE type = "
            "'production.inventory.below_reorder_level' AND subject = $1",
            f"inventory_items/{item['id']}",
        )
        assert len(events) == 1  # only the crossing, not every move below the level
        data = json.loads(events[0]["data"])
        assert data["sku"] == item["sku"] and data["available"] == "15.000"
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(
                "UPDATE production.inventory_ledger SET quantity = 0 WHERE item_id = $1",
                uuid.UUID(item["id"]),
            )
    finally:
        await conn.close()


async def test_operator_reads_stock_but_cannot_move_it(factory: Factory) -> None:
    plant = await factory.plant()
    item = await factory.item(plant["id"], factory.sku("X"), "5")
    op = factory.tokens.headers("operator")
    ok(await factory.c.get(f"/inventory/items/{item['id']}", headers=op))
    r = await factory.c.post(
        f"/inventory/items/{item['id']}/movements",
        json={"kind": "receipt", "quantity": "1"},
        headers=op,
    )
    assert r.status_code == 403


async def test_mrp_plan_numbers(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    mag, card = factory.sku("MAG"), factory.sku("CARD")
    await factory.item(plant["id"], mag, "100", reorder_level="20", reorder_quantity="50")
    await factory.item(plant["id"], card, "1000")
    lid = await factory.product(factory.sku("LID"), [{"sku": mag, "quantity": 3}])
    box = await factory.product(
        factory.sku("BOX"), [{"product_id": lid["id"], "quantity": 1}, {"sku": card, "quantity": 1}]
    )
    o1 = await factory.order(plant["id"], box["id"], 10, due="2026-12-01")
    o2 = await factory.order(plant["id"], box["id"], 10, due="2026-12-02")
    o3 = await factory.order(plant["id"], box["id"], 10, due="2026-12-03")
    o4 = await factory.order(plant["id"], box["id"], 10, due="2026-12-04")
    ok(await c.post(f"/orders/{o1['id']}/allocate", headers=h))
    run = ok(await c.post("/mrp/runs", json={"plant_id": plant["id"]}, headers=h), 201)
    plan = run["plan"]
    lines = {x["sku"]: x for x in plan["lines"]}
    m = lines[mag]
    # gross 4 orders * 30 = 120; allocated 30; unallocated need 90 vs available 70 -> short 20
    assert Decimal(m["gross_requirement"]) == 120 and Decimal(m["allocated"]) == 30
    assert Decimal(m["unallocated_requirement"]) == 90 and Decimal(m["net_shortage"]) == 20
    # back to the reorder level 20 from -20 is 40, bought in lots of 50
    assert Decimal(m["suggested_purchase"]) == 50
    # o2 and o3 fit in the 70 available (60), o4 does not: it is the one blocked
    assert m["blocked_orders"] == [o4["id"]] and m["blocked_order_count"] == 1
    assert Decimal(lines[card]["net_shortage"]) == 0 and lines[card]["blocked_orders"] == []
    assert plan["summary"]["open_orders"] == 4 and plan["summary"]["pending_orders"] == 3
    assert {o2["id"], o3["id"]}.isdisjoint(m["blocked_orders"])
    again = ok(await c.get(f"/mrp/runs/{run['id']}", headers=h))
    assert again["plan"]["lines"] == plan["lines"]
    live = ok(await c.get("/mrp/plan", params={"plant_id": plant["id"]}, headers=h))
    assert live["lines"] == plan["lines"]
