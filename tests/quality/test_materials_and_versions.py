"""A passport's materials come from what production allocated to the lot's order
(`production.order.allocated`, kept by quality), and an inspection's checklist is the one of
the lot's product version (`product_version_id` on the lot events), else the product's."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
from jsonschema import Draft202012Validator

from tests.quality.conftest import Factory, Q, Tokens, eventually, ok
from tests.quality.helpers import all_results
from tests.quality.test_passports import SCHEMA


async def _passport_of(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, lot: dict[str, Any], sku: str
) -> dict[str, Any]:
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    inspection = await factory.inspection_of(lot["id"])
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    ok(await gateway.post(f"{url}/start", headers=h))
    checklist = ok(await gateway.get(f"{Q}/checklists/{inspection['checklist_id']}", headers=h))
    results = all_results(checklist, inspection["plan"]["sample_size"])
    ok(await gateway.put(f"{url}/results", headers=h, json={"results": results}))
    ok(await gateway.post(f"{url}/complete", headers=h))
    gtin = f"0950{uuid.uuid4().int % 10**10:010d}"
    ok(await gateway.put(f"{Q}/products/{sku}", headers=tokens.h("admin"), json={"gtin": gtin}))
    return ok(await gateway.post(f"{Q}/lots/{lot['id']}/passports", headers=tokens.h("admin")), 201)


async def test_passport_materials_are_the_lots_share_of_its_orders_allocation(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    # a box of 200 g grey board and 10 g of foil (BOM in g, the foil stocked in kg)
    plant, sku = await factory.product(
        [
            {"name": "Grey board", "unit": "g", "quantity": 200},
            {"name": "Gold foil", "unit": "kg", "quantity": 10, "bom_unit": "g"},
        ]
    )
    await factory.checklist(sku)
    # the lot is half of its order: half of what the order reserved
    lot = await factory.lot(plant, 50, order_quantity=100)
    passport = await _passport_of(gateway, tokens, factory, lot, sku)
    credential = passport["credential"]
    materials = {
        m["name"].split(" (")[0]: m for m in credential["credentialSubject"]["materialsProvenance"]
    }
    assert set(materials) == {"Grey board", "Gold foil"}
    board, foil = materials["Grey board"], materials["Gold foil"]
    assert board["mass"] == {"type": ["Measure"], "value": 10.0, "unit": "KGM"}  # 50 x 200 g
    assert foil["mass"] == {"type": ["Measure"], "value": 0.5, "unit": "KGM"}  # 50 x 10 g
    assert abs(board["massFraction"] - 10 / 10.5) < 1e-6
    assert abs(board["massFraction"] + foil["massFraction"] - 1) < 1e-6
    schema = json.loads(SCHEMA.read_text())
    errors = list(
        Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).iter_errors(credential)
    )
    assert errors == [], [e.message for e in errors]
    # the page lists them too
    page = await gateway.get(f"{Q}/passports/{passport['id']}", headers={"Accept": "text/html"})
    assert "Grey board" in page.text and "Gold foil" in page.text


async def test_materials_of_pieces_carry_no_mass_and_the_body_cannot_set_them(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, sku = await factory.product()  # one part counted in pieces
    await factory.checklist(sku)
    lot = await factory.lot(plant, 20)
    passport = await _passport_of(gateway, tokens, factory, lot, sku)
    (material,) = passport["credential"]["credentialSubject"]["materialsProvenance"]
    assert material["name"] == f"PART-{factory.tag} (PART-{factory.tag})"
    assert "mass" not in material and "massFraction" not in material
    refused = await gateway.post(
        f"{Q}/lots/{lot['id']}/passports",
        headers=tokens.h("admin"),
        json={"materials": [{"name": "Unobtainium"}]},
    )
    assert refused.status_code == 422


async def test_checklist_of_the_lots_product_version_else_the_products(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, db: asyncpg.Connection
) -> None:
    plant, sku = await factory.product()
    by_number = await factory.checklist(sku, product_version="1", name="Version 1 checks")
    # newer, but for another version: not the lot's
    await factory.checklist(sku, product_version="7", name="Version 7 checks")
    lot = await factory.lot(plant, 20)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    inspection = await factory.inspection_of(lot["id"])
    assert inspection["checklist_id"] == by_number["id"]
    row = await db.fetchrow(
        "SELECT product_version_id, product_version FROM quality.lots WHERE id = $1",
        uuid.UUID(lot["id"]),
    )
    assert (str(row["product_version_id"]), row["product_version"]) == (factory.version_id, 1)

    # a checklist naming production's version id is the version's too
    by_id = await factory.checklist(sku, product_version=factory.version_id, name="By id")
    second = await factory.lot(plant, 20)
    await factory.gate(second["id"], "in_production")
    await factory.gate(second["id"], "qa_pending")
    assert (await factory.inspection_of(second["id"]))["checklist_id"] == by_id["id"]


async def test_without_a_version_checklist_the_products_newest_applies(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, sku = await factory.product()
    await factory.checklist(sku, product_version="3", name="Old")
    newest = await factory.checklist(sku, product_version="4", name="Newest")
    lot = await factory.lot(plant, 20)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    assert (await factory.inspection_of(lot["id"]))["checklist_id"] == newest["id"]


async def test_allocation_event_is_kept_once_per_order(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, db: asyncpg.Connection
) -> None:
    plant, sku = await factory.product()
    lot = await factory.lot(plant, 10)

    async def kept() -> Any:
        return await db.fetchrow(
            "SELECT order_number, product_sku, quantity, components FROM quality.order_materials "
            "WHERE order_id = $1",
            uuid.UUID(lot["order_id"]),
        )

    row = await eventually(kept)
    assert row["product_sku"] == sku and row["quantity"] == 10
    (component,) = json.loads(row["components"])
    assert component["sku"] == f"PART-{factory.tag}" and component["unit"] == "pcs"
    assert float(component["quantity"]) == 10.0
