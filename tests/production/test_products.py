"""Products: versions, immutability once released, BOM cycles, multi-level explosion."""

from __future__ import annotations

from decimal import Decimal

from tests.production.conftest import Factory, ok


async def test_multi_level_explosion_worked_example(factory: Factory) -> None:
    # 5 gift boxes; each box needs 2 lids and 1 card sheet; each lid needs 3 magnets
    # and 0.25 m of foil.  Magnets: 5 * 2 * 3 = 30.  Foil: 5 * 2 * 0.25 = 2.5.  Card: 5.
    c, h = factory.c, factory.h
    magnet, foil, card = factory.sku("MAG"), factory.sku("FOIL"), factory.sku("CARD")
    lid = await factory.product(
        factory.sku("LID"), [{"sku": magnet, "quantity": 3}, {"sku": foil, "quantity": "0.25"}]
    )
    box = await factory.product(
        factory.sku("BOX"), [{"product_id": lid["id"], "quantity": 2}, {"sku": card, "quantity": 1}]
    )
    body = ok(
        await c.get(
            f"/products/{box['id']}/versions/{box['version_id']}/explosion",
            params={"quantity": 5},
            headers=h,
        )
    )
    got = {line["sku"]: Decimal(line["quantity"]) for line in body["lines"]}
    assert got == {magnet: Decimal(30), foil: Decimal("2.5"), card: Decimal(5)}


async def test_bom_cycle_is_refused(factory: Factory) -> None:
    c, h = factory.c, factory.h
    a = await factory.product(
        factory.sku("A"), [{"sku": factory.sku("X"), "quantity": 1}], release=False
    )
    b = await factory.product(
        factory.sku("B"), [{"product_id": a["id"], "quantity": 1}], release=False
    )
    cc = await factory.product(
        factory.sku("C"), [{"product_id": b["id"], "quantity": 1}], release=False
    )
    # A -> C would close A -> C -> B -> A
    r = await c.put(
        f"/products/{a['id']}/versions/{a['version_id']}",
        json={"bom": [{"product_id": cc["id"], "quantity": 1}]},
        headers=h,
    )
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "bom_cycle"
    assert problem["cycle"][0] == problem["cycle"][-1] == a["id"]
    # a product containing itself, directly
    r = await c.post(
        f"/products/{a['id']}/versions",
        json={"bom": [{"product_id": a["id"], "quantity": 1}]},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["code"] == "bom_cycle"


async def test_released_version_is_immutable_and_changes_make_a_new_version(
    factory: Factory,
) -> None:
    c, h = factory.c, factory.h
    p = await factory.product(
        factory.sku("P"),
        [{"sku": factory.sku("M"), "quantity": 1}],
        stages=[
            {"name": "Cut", "parameters": [{"name": "pressure", "target": "4.5", "unit": "bar"}]}
        ],
    )
    url = f"/products/{p['id']}/versions/{p['version_id']}"
    r = await c.put(url, json={"bom": [{"sku": "OTHER", "quantity": 2}]}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "version_released"
    r = await c.post(f"{url}/release", headers=h)
    assert r.status_code == 409
    v2 = ok(await c.post(f"/products/{p['id']}/versions", json={"notes": "v2"}, headers=h), 201)
    assert v2["number"] == 2 and v2["status"] == "draft"
    assert v2["bom"][0]["component_sku"] == factory.sku("M")
    assert v2["stages"][0]["parameters"][0]["target"] == "4.5"
    etag = (await c.get(f"/products/{p['id']}/versions/{v2['id']}", headers=h)).headers["etag"]
    r = await c.put(
        f"/products/{p['id']}/versions/{v2['id']}",
        headers={**h, "If-Match": '"99"'},
        json={"bom": [{"sku": factory.sku("M"), "quantity": 2}]},
    )
    assert r.status_code == 412
    v2b = ok(
        await c.put(
            f"/products/{p['id']}/versions/{v2['id']}",
            headers={**h, "If-Match": etag},
            json={"bom": [{"sku": factory.sku("M"), "quantity": 2}]},
        )
    )
    assert Decimal(v2b["bom"][0]["quantity"]) == 2
    assert v2b["stages"][0]["name"] == "Cut"  # stages untouched
