"""Rules that keep wrong data out: lot quantities and gates follow the order, BOM units
convert (or are refused), stages go to users of the tenant, duplicates name their field,
and money has one representation."""

from __future__ import annotations

import uuid

import httpx

from tests.production.conftest import Factory, ok, ok_list
from tests.production.test_lots import make_order
from tools.stack import Stack


async def test_lots_stay_within_the_order_quantity(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    p = await factory.product(factory.sku("LQ"), [])
    order = await factory.order(plant["id"], p["id"], 10)
    r = await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 600})
    assert r.status_code == 422 and r.json()["code"] == "lot_quantity_exceeds_order", r.text
    ok(await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 6}), 201)
    r = await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 5})
    assert r.status_code == 422 and r.json()["code"] == "lot_quantity_exceeds_order"
    assert (r.json()["in_lots"], r.json()["remaining"]) == (6, 4)
    ok(await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 4}), 201)
    r = await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 1})
    assert r.status_code == 422


async def test_a_lot_goes_into_production_only_with_its_order(factory: Factory) -> None:
    c, h = factory.c, factory.h
    order = await make_order(factory, allocate=False)
    assert order["status"] == "pending"
    lot = ok(await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 5}), 201)
    r = await c.post(f"/lots/{lot['id']}/gate", headers=h, json={"to": "in_production"})
    assert r.status_code == 409 and r.json()["code"] == "order_not_in_production", r.text
    assert r.json()["order_status"] == "pending"
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    moved = ok(await c.post(f"/lots/{lot['id']}/gate", headers=h, json={"to": "in_production"}))
    assert moved["gate"] == "in_production"


async def test_bom_units_convert_in_explosion_allocation_and_mrp(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    foil, glue = factory.sku("FOIL"), factory.sku("GLUE")
    foil_item = await factory.item(plant["id"], foil, "10", unit="m")
    glue_item = await factory.item(plant["id"], glue, "1", unit="kg")
    p = await factory.product(
        factory.sku("BOX"),
        [
            {"sku": foil, "quantity": "50", "unit": "cm"},
            {"sku": glue, "quantity": "20", "unit": "g"},
        ],
    )
    ex = ok(
        await c.get(
            f"/products/{p['id']}/versions/{p['version_id']}/explosion",
            headers=h,
            params={"quantity": 2},
        )
    )
    lines = {x["sku"]: x for x in ex["lines"]}
    assert (lines[foil]["quantity"], lines[foil]["unit"]) == ("1.000", "m")
    assert (lines[foil]["quantity_per_unit"], lines[glue]["quantity"]) == ("0.500", "0.040")

    order = await factory.order(plant["id"], p["id"], 2)
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    held = {
        a["item_id"]: a["quantity"]
        for a in ok_list(await c.get(f"/orders/{order['id']}/allocations", headers=h))
    }
    assert held == {foil_item["id"]: "1.000", glue_item["id"]: "0.040"}
    item = ok(await c.get(f"/inventory/items/{foil_item['id']}", headers=h))
    assert (item["on_hand"], item["allocated"]) == ("10.000", "1.000")

    await factory.order(plant["id"], p["id"], 4)  # pending: 2 m of foil, 80 g of glue
    plan = ok(await c.get("/mrp/plan", headers=h, params={"plant_id": plant["id"]}))
    by_sku = {x["sku"]: x for x in plan["lines"]}
    assert by_sku[foil]["gross_requirement"] == "3.000"
    assert by_sku[foil]["unallocated_requirement"] == "2.000"
    assert by_sku[glue]["gross_requirement"] == "0.120"


async def test_incompatible_bom_units_are_refused(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    glue, ribbon = factory.sku("GLUE"), factory.sku("RIB")
    await factory.item(plant["id"], glue, "5", unit="kg")
    r = await c.post(
        "/products",
        headers=h,
        json={
            "sku": factory.sku("BAD"),
            "name": "x",
            "bom": [{"sku": glue, "quantity": "2", "unit": "m"}],
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "incompatible_units", r.text
    # a unit that only clashes once the SKU is stocked: refused when allocating
    p = await factory.product(factory.sku("LATE"), [{"sku": ribbon, "quantity": "1", "unit": "kg"}])
    await factory.item(plant["id"], ribbon, "100", unit="m")
    order = await factory.order(plant["id"], p["id"], 1)
    r = await c.post(f"/orders/{order['id']}/allocate", headers=h)
    assert r.status_code == 422 and r.json()["code"] == "incompatible_units", r.text
    assert ok(await c.get(f"/orders/{order['id']}", headers=h))["status"] == "pending"


async def user_id(stack: Stack, token: str) -> str:
    """The user id behind a token (identity's /me)."""
    async with httpx.AsyncClient(base_url=stack.service_url("identity"), timeout=30) as idp:
        me = ok(await idp.get("/me", headers={"Authorization": f"Bearer {token}"}))
    return str(me["user"]["id"])


async def test_stages_go_to_users_of_the_tenant(factory: Factory, stack: Stack) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    x = factory.sku("SX")
    await factory.item(plant["id"], x, "100")
    p = await factory.product(
        factory.sku("ST"), [{"sku": x, "quantity": "1"}], stages=[{"name": "Cutting"}]
    )
    order = await factory.order(plant["id"], p["id"], 5)
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    po = ok(await c.post("/production-orders", headers=h, json={"order_id": order["id"]}), 201)
    stage = po["stages"][0]
    path = f"/production-orders/{po['id']}/stages/{stage['id']}/assign"
    brand_user = await user_id(stack, factory.tokens["lbx"])
    for who in (str(uuid.uuid4()), "not-a-user", brand_user):
        r = await c.post(path, headers=h, json={"operator": who})
        assert r.status_code == 422 and r.json()["code"] == "unknown_operator", (who, r.text)
    operator = await user_id(stack, factory.tokens["operator"])
    assigned = ok(await c.post(path, headers=h, json={"operator": operator}))
    assert assigned["assigned_to"] == operator


async def test_duplicates_name_their_field(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    r = await c.post("/plants", headers=h, json={"code": plant["code"], "name": "again"})
    assert r.status_code == 409 and r.json()["code"] == "plant_code_taken", r.text
    x = factory.sku("DX")
    await factory.item(plant["id"], x, "100")
    r = await c.post(
        "/inventory/items", headers=h, json={"plant_id": plant["id"], "sku": x, "name": "x"}
    )
    assert r.status_code == 409 and r.json()["code"] == "sku_taken"
    p = await factory.product(factory.sku("DP"), [{"sku": x, "quantity": "1"}])
    r = await c.post("/products", headers=h, json={"sku": factory.sku("DP"), "name": "again"})
    assert r.status_code == 409 and r.json()["code"] == "sku_taken"
    order = await factory.order(plant["id"], p["id"], 5)
    r = await c.post(
        "/orders",
        headers=h,
        json={
            "number": order["number"],
            "plant_id": plant["id"],
            "product_id": p["id"],
            "quantity": 1,
            "unit_price": "1",
            "currency": "EUR",
            "due_date": "2026-12-31",
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "order_number_taken", r.text
    assert "constraint" not in r.json()["detail"]
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    ok(await c.post("/production-orders", headers=h, json={"order_id": order["id"]}), 201)
    r = await c.post("/production-orders", headers=h, json={"order_id": order["id"]})
    assert r.status_code == 409 and r.json()["code"] == "production_order_exists"
    lot = ok(await c.post("/lots", headers=h, json={"order_id": order["id"], "quantity": 1}), 201)
    r = await c.post(
        "/lots", headers=h, json={"order_id": order["id"], "quantity": 1, "number": lot["number"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "lot_number_taken"


async def test_money_reads_the_same_on_every_path(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    p = await factory.product(factory.sku("MP"), [])
    body = {
        "number": f"M-{uuid.uuid4().hex[:8]}",
        "plant_id": plant["id"],
        "product_id": p["id"],
        "quantity": 10,
        "unit_price": "5.00",
        "currency": "EUR",
        "due_date": "2026-12-31",
    }
    created = ok(await c.post("/orders", headers=h, json=body), 201)
    read = ok(await c.get(f"/orders/{created['id']}", headers=h))
    listed = ok(await c.get("/orders", headers=h, params={"plant_id": plant["id"]}))["items"][0]
    for seen in (created, read, listed):
        assert (seen["unit_price"], seen["total_price"]) == ("5.0000", "50.0000")
    item = await factory.item(plant["id"], factory.sku("MI"), "1", unit_cost="0.5")
    assert item["unit_cost"] == "0.5000"
    assert ok(await c.get(f"/inventory/items/{item['id']}", headers=h))["unit_cost"] == "0.5000"


async def test_one_bad_bom_unit_does_not_stop_the_plan(factory: Factory) -> None:
    c, h = factory.c, factory.h
    plant = await factory.plant()
    ribbon = factory.sku("RB")
    p = await factory.product(factory.sku("RBP"), [{"sku": ribbon, "quantity": "1", "unit": "kg"}])
    await factory.item(plant["id"], ribbon, "100", unit="m")
    order = await factory.order(plant["id"], p["id"], 1)
    plan = ok(await c.get("/mrp/plan", headers=h, params={"plant_id": plant["id"]}))
    line = next(x for x in plan["lines"] if x["sku"] == ribbon)
    assert line["blocked_orders"] == [order["id"]] and line["gross_requirement"] == "0.000"
