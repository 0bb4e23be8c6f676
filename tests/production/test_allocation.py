"""Allocation under concurrency: never two orders on the same stock, and the ledger agrees."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg

from tests.production.conftest import Factory, ok
from tools.stack import Stack


async def ledger_sums(stack: Stack, item_id: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        row = await conn.fetchrow(
            "SELECT i.on_hand, i.allocated, "
            "COALESCE(SUM(l.on_hand_delta), 0) AS oh, COALESCE(SUM(l.allocated_delta), 0) AS al "
            "FROM production.inventory_items i "
            "LEFT JOIN production.inventory_ledger l ON l.item_id = i.id "
            "WHERE i.id = $1 GROUP BY i.id",
            __import__("uuid").UUID(item_id),
        )
    finally:
        await conn.close()
    return row["on_hand"], row["allocated"], row["oh"], row["al"]


async def test_fifty_concurrent_allocations_for_ten_orders_worth_of_stock(
    factory: Factory, stack: Stack
) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    # Each order: 4 boxes; a box needs 1 lid (3 magnets) and 2 card sheets.
    # Per order: 12 magnets, 8 card. Stock: exactly 10 orders' worth of each.
    magnet, card = factory.sku("MAG"), factory.sku("CARD")
    mag_item = await factory.item(plant["id"], magnet, "120")
    card_item = await factory.item(plant["id"], card, "80")
    lid = await factory.product(factory.sku("LID"), [{"sku": magnet, "quantity": 3}])
    box = await factory.product(
        factory.sku("BOX"), [{"product_id": lid["id"], "quantity": 1}, {"sku": card, "quantity": 2}]
    )
    orders = [await factory.order(plant["id"], box["id"], 4) for _ in range(50)]

    results = await asyncio.gather(
        *[c.post(f"/orders/{o['id']}/allocate", headers=h) for o in orders]
    )
    codes = [r.status_code for r in results]
    assert codes.count(200) == 10, codes
    assert codes.count(409) == 40, codes
    for r in results:
        if r.status_code == 409:
            problem = r.json()
            assert problem["code"] == "insufficient_stock"
            shortages = {s["sku"]: s for s in problem["shortages"]}
            assert set(shortages) <= {magnet, card} and shortages
            for s in shortages.values():
                assert Decimal(s["short"]) == Decimal(s["required"]) - Decimal(s["available"]) > 0

    for item, per_order in ((mag_item, Decimal(12)), (card_item, Decimal(8))):
        on_hand, allocated, oh_sum, al_sum = await ledger_sums(stack, item["id"])
        assert (on_hand, allocated) == (oh_sum, al_sum)
        assert allocated == 10 * per_order
        assert on_hand - allocated == 0
        got = ok(await c.get(f"/inventory/items/{item['id']}", headers=h))
        assert Decimal(got["available"]) == 0

    # Cancelling one allocated order releases its stock (ledger release rows) ...
    winner = next(o for o, r in zip(orders, results, strict=True) if r.status_code == 200)
    cancelled = ok(
        await c.post(f"/orders/{winner['id']}/cancel", json={"reason": "test"}, headers=h)
    )
    assert cancelled["status"] == "cancelled"
    ledger = ok(
        await c.get(
            f"/inventory/items/{mag_item['id']}/ledger", params={"kind": "release"}, headers=h
        )
    )
    assert [Decimal(e["allocated_delta"]) for e in ledger["items"]] == [Decimal(-12)]
    # ... so exactly one of the losers can now be allocated.
    loser = next(o for o, r in zip(orders, results, strict=True) if r.status_code == 409)
    ok(await c.post(f"/orders/{loser['id']}/allocate", headers=h))
    another = [o for o, r in zip(orders, results, strict=True) if r.status_code == 409][1]
    r = await c.post(f"/orders/{another['id']}/allocate", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "insufficient_stock"


async def test_missing_component_is_a_shortage_and_nothing_is_reserved(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    have, missing = factory.sku("HAVE"), factory.sku("MISSING")
    item = await factory.item(plant["id"], have, "100")
    p = await factory.product(
        factory.sku("P"), [{"sku": have, "quantity": 2}, {"sku": missing, "quantity": 1}]
    )
    order = await factory.order(plant["id"], p["id"], 5)
    r = await c.post(f"/orders/{order['id']}/allocate", headers=h)
    assert r.status_code == 409
    assert r.json()["shortages"] == [
        {
            "item_id": None,
            "sku": missing,
            "required": "5.000",
            "available": "0.000",
            "short": "5.000",
        }
    ]
    got = ok(await c.get(f"/inventory/items/{item['id']}", headers=h))
    assert Decimal(got["allocated"]) == 0
    assert ok(await c.get(f"/orders/{order['id']}", headers=h))["status"] == "pending"
