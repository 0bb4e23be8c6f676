"""Every order transition, legal and illegal, with its stock side effects."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.production.conftest import Factory, ok, ok_list

STATUSES = ["pending", "allocated", "production", "qa", "packing", "done", "cancelled"]
LEGAL = {
    "pending": {"allocated", "cancelled"},
    "allocated": {"production", "cancelled"},
    "production": {"qa", "cancelled"},
    "qa": {"packing"},
    "packing": {"done"},
    "done": set(),
    "cancelled": set(),
}
PATH = ["pending", "allocated", "production", "qa", "packing", "done"]


async def _order_at(factory: Factory, status: str) -> tuple[dict, dict]:
    plant = await factory.plant()
    n = uuid.uuid4().hex[:6]
    sku = factory.sku(f"M{n}")
    item = await factory.item(plant["id"], sku, "1000")
    p = await factory.product(factory.sku(f"P{n}"), [{"sku": sku, "quantity": 2}])
    order = await factory.order(plant["id"], p["id"], 10)
    route = PATH[: PATH.index(status) + 1] if status != "cancelled" else ["pending", "cancelled"]
    for to in route[1:]:
        order = ok(
            await factory.c.post(
                f"/orders/{order['id']}/status", json={"to": to}, headers=factory.h
            )
        )
    assert order["status"] == status
    return order, item


@pytest.mark.parametrize("current", STATUSES)
async def test_order_transitions_from(factory: Factory, current: str) -> None:
    c, h = factory.c, factory.h
    for to in STATUSES:
        if to == current:
            continue
        order, _ = await _order_at(factory, current)
        r = await c.post(
            f"/orders/{order['id']}/status",
            json={"to": to},
            headers={**h, "If-Match": f'"{order["version"]}"'},
        )
        if to in LEGAL[current]:
            assert r.status_code == 200, (current, to, r.text)
            assert r.json()["status"] == to
        else:
            assert r.status_code == 409, (current, to, r.text)
            body = r.json()
            assert body["code"] == "invalid_transition"
            assert (body["from"], body["to"]) == (current, to)
            assert "application/problem+json" in r.headers["content-type"]


async def test_stock_follows_the_order(factory: Factory) -> None:
    c, h = factory.c, factory.h
    order, item = await _order_at(factory, "allocated")
    url = f"/inventory/items/{item['id']}"
    got = ok(await c.get(url, headers=h))
    assert (Decimal(got["on_hand"]), Decimal(got["allocated"])) == (1000, 20)
    assert order["progress"] == 10
    # stale If-Match is refused
    r = await c.post(
        f"/orders/{order['id']}/status", json={"to": "production"}, headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    ok(await c.post(f"/orders/{order['id']}/status", json={"to": "production"}, headers=h))
    qa = ok(await c.post(f"/orders/{order['id']}/status", json={"to": "qa"}, headers=h))
    assert qa["progress"] == 75
    got = ok(await c.get(url, headers=h))  # materials consumed: both figures fall
    assert (Decimal(got["on_hand"]), Decimal(got["allocated"])) == (980, 0)
    kinds = [e["kind"] for e in ok(await c.get(f"{url}/ledger", headers=h))["items"]]
    assert kinds == ["issue", "allocation", "receipt"]
    allocations = ok_list(await c.get(f"/orders/{order['id']}/allocations", headers=h))
    assert [a["status"] for a in allocations] == ["consumed"]


async def test_order_needs_released_version_and_unique_number(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    draft = await factory.product(factory.sku("D"), [{"sku": "X", "quantity": 1}], release=False)
    r = await c.post(
        "/orders",
        headers=h,
        json={
            "number": factory.sku("N"),
            "plant_id": plant["id"],
            "product_id": draft["id"],
            "quantity": 1,
            "unit_price": "1.00",
            "currency": "EUR",
            "due_date": "2026-12-31",
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "version_not_released"
    p = await factory.product(factory.sku("R"), [{"sku": "X", "quantity": 1}])
    first = await factory.order(plant["id"], p["id"], 1, number=factory.sku("SO"))
    assert first["unit_price"] == "9.9000" and first["total_price"] == "9.9000"
    r = await c.post(
        "/orders",
        headers=h,
        json={
            "number": factory.sku("SO"),
            "plant_id": plant["id"],
            "product_id": p["id"],
            "quantity": 1,
            "unit_price": "1.00",
            "currency": "EUR",
            "due_date": "2026-12-31",
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "order_number_taken"
