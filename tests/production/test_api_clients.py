"""An ERP (API client, DEVELOPER space) reads what its scopes allow and creates customer
orders with `orders:write`, through the gateway as it would in production."""

from __future__ import annotations

import uuid

import httpx

from tests.production.conftest import Factory, ok
from tests.production.test_lots import lot_at, make_order
from tools.stack import Stack


async def _erp_token(stack: Stack, factory: Factory, scopes: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=stack.service_url("identity"), timeout=30) as idp:
        admin = factory.tokens.headers("admin")
        created = ok(
            await idp.post(
                "/api-clients", headers=admin, json={"name": "Paco ERP", "scopes": scopes}
            ),
            201,
        )
        tok = ok(
            await idp.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": created["client_id"],
                    "client_secret": created["client_secret"],
                },
            )
        )
    assert tok["space"] == "DEVELOPER"
    return {"Authorization": f"Bearer {tok['access_token']}"}


async def test_an_erp_reads_orders_and_lots_and_creates_orders(
    factory: Factory, stack: Stack, gateway: httpx.AsyncClient
) -> None:
    order = await make_order(factory, "luxury-brand-x")
    lot = await lot_at(factory, order, "in_production")
    erp = await _erp_token(stack, factory, ["orders:read", "lots:read", "orders:write"])

    listed = ok(await gateway.get("/v1/production/orders", headers=erp, params={"limit": 200}))
    assert order["id"] in {o["id"] for o in listed["items"]}
    got = ok(await gateway.get(f"/v1/production/orders/{order['id']}", headers=erp))
    assert got["number"] == order["number"]
    assert ok(await gateway.get(f"/v1/production/lots/{lot['id']}", headers=erp))["gate"] == (
        "in_production"
    )
    lots = ok(
        await gateway.get("/v1/production/lots", headers=erp, params={"order_id": order["id"]})
    )
    assert [x["id"] for x in lots["items"]] == [lot["id"]]
    history = ok(await gateway.get(f"/v1/production/lots/{lot['id']}/history", headers=erp))
    assert len(history["items"]) == 2

    created = await gateway.post(
        "/v1/production/orders",
        headers=erp,
        json={
            "number": f"ERP-{uuid.uuid4().hex[:8]}",
            "customer_tenant_id": factory.seed.data["tenants"]["maison-y"],
            "plant_id": order["plant_id"],
            "product_id": order["product_id"],
            "quantity": 3,
            "unit_price": "7.5",
            "currency": "EUR",
            "due_date": "2026-12-31",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["unit_price"] == "7.5000"

    # what its scopes do not allow, and the provider's own writes, stay closed
    r = await gateway.get("/v1/production/inventory/items", headers=erp)
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    for method, path, body in (
        ("POST", "/v1/production/lots", {"order_id": order["id"], "quantity": 1}),
        ("POST", f"/v1/production/lots/{lot['id']}/gate", {"to": "qa_pending"}),
        ("POST", f"/v1/production/orders/{order['id']}/cancel", {}),
    ):
        r = await gateway.request(method, path, headers=erp, json=body)
        assert r.status_code == 403 and r.json()["code"] == "wrong_space", (path, r.text)


async def test_an_erp_without_write_scope_creates_nothing(
    factory: Factory, stack: Stack, gateway: httpx.AsyncClient
) -> None:
    erp = await _erp_token(stack, factory, ["orders:read"])
    r = await gateway.post("/v1/production/orders", headers=erp, json={})
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
