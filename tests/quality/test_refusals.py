"""Ids quality does not know, as the contract guards send them: a brand that is not a client
of the caller, a product id of another tenant, an unknown Digital Link, an object key out of
the store's rule. Each is refused with a documented problem+json, and nothing is written."""

from __future__ import annotations

import uuid

import httpx

from tests.quality.conftest import Q, Tokens, ok
from tools.seed import SeedContext


def _problem(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    assert resp.json()["code"] == code, resp.text


async def test_bulk_publish_refuses_a_brand_that_is_no_client(
    gateway: httpx.AsyncClient, tokens: Tokens, seed: SeedContext
) -> None:
    admin = tokens.h("admin")
    stranger = {"customer_tenant_id": str(uuid.uuid4())}
    _problem(
        await gateway.post(f"{Q}/passports/publish", headers=admin, json=stranger),
        422,
        "unknown_customer",
    )
    # Paco's own brand is known (the demo lot is made for it); an unknown SKU publishes none
    known = {
        "customer_tenant_id": seed.data["tenants"]["luxury-brand-x"],
        "product_sku": f"NONE-{uuid.uuid4().hex[:8]}",
    }
    got = ok(await gateway.post(f"{Q}/passports/publish", headers=admin, json=known))
    assert got == {"published": [], "skipped": 0}


async def test_product_by_an_unknown_id_is_404_and_makes_no_row(
    gateway: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = tokens.h("admin")
    foreign = str(uuid.uuid4())
    _problem(
        await gateway.put(f"{Q}/products/{foreign}", headers=admin, json={}),
        404,
        "product_not_found",
    )
    listed = ok(await gateway.get(f"{Q}/products", headers=admin, params={"sku": foreign}))
    assert listed["items"] == []

    # a SKU of the tenant's own catalogue is made on first use; its id then names it
    sku = f"REF-{uuid.uuid4().hex[:8]}"
    made = ok(await gateway.put(f"{Q}/products/{sku}", headers=admin, json={"name": "A"}))
    again = ok(await gateway.put(f"{Q}/products/{made['id']}", headers=admin, json={"name": "B"}))
    assert (again["id"], again["sku"], again["name"]) == (made["id"], sku, "B")


async def test_unknown_digital_link_is_problem_json(gateway: httpx.AsyncClient) -> None:
    for lot in ("NOPE-1", "%0A%C2%B1"):  # a newline in the path too
        for accept in ("application/ld+json", "text/html"):
            resp = await gateway.get(f"{Q}/01/09506000134352/10/{lot}", headers={"Accept": accept})
            _problem(resp, 404, "passport_not_found")


async def test_object_key_out_of_the_store_rule_is_422(
    gateway: httpx.AsyncClient,
) -> None:
    params = {"exp": "1", "sig": "x", "ct": "image/jpeg", "max": "10"}
    for key in ("\u00e9" * 1000, "a" * 1025):
        resp = await gateway.put(f"{Q}/objects/{key}", params=params, content=b"x")
        _problem(resp, 422, "validation_failed")
    spec = ok(await gateway.get("/openapi.json"))
    responses = spec["paths"][f"{Q}/objects/{{key}}"]["put"]["responses"]
    assert "422" in responses and "414" in responses


async def test_stream_of_an_unknown_lot_is_404_before_it_opens(
    gateway: httpx.AsyncClient, tokens: Tokens
) -> None:
    params = {"lot_id": str(uuid.uuid4())}
    headers = tokens.h("admin", Accept="text/event-stream")
    async with gateway.stream("GET", f"{Q}/feed/stream", headers=headers, params=params) as resp:
        await resp.aread()
    _problem(resp, 404, "lot_not_found")
