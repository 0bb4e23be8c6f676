"""End to end across real processes: a lot moved to QA through the gateway reaches a tenant's
webhook receiver (verified with `standardwebhooks`) and reaches quality."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from tests.sync.conftest import Receiver, TokenFor, subscribe


def ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, f"{resp.request.url}: {resp.status_code} {resp.text}"
    return resp.json()


async def _lot_in_production(
    gateway: httpx.AsyncClient, h: dict[str, str], customer: str
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    p = "/v1/production"
    plant = ok(
        await gateway.post(
            f"{p}/plants", headers=h, json={"code": f"E2E-{tag}", "name": "E2E plant"}
        ),
        201,
    )
    part = f"PART-{tag}"
    ok(
        await gateway.post(
            f"{p}/inventory/items",
            headers=h,
            json={"plant_id": plant["id"], "sku": part, "name": part, "initial_quantity": "100"},
        ),
        201,
    )
    product = ok(
        await gateway.post(
            f"{p}/products",
            headers=h,
            json={
                "sku": f"BOX-{tag}",
                "name": "Box",
                "bom": [{"sku": part, "quantity": 1}],
                "stages": [],
            },
        ),
        201,
    )
    version = product["versions"][0]["id"]
    ok(await gateway.post(f"{p}/products/{product['id']}/versions/{version}/release", headers=h))
    order = ok(
        await gateway.post(
            f"{p}/orders",
            headers=h,
            json={
                "number": f"E2E-{tag}",
                "customer_tenant_id": customer,
                "plant_id": plant["id"],
                "product_id": product["id"],
                "quantity": 10,
                "unit_price": "9.90",
                "currency": "EUR",
                "due_date": "2026-12-31",
            },
        ),
        201,
    )
    # lots go into production only once their order's stock is reserved
    ok(await gateway.post(f"{p}/orders/{order['id']}/allocate", headers=h))
    lot = ok(
        await gateway.post(f"{p}/lots", headers=h, json={"order_id": order["id"], "quantity": 10}),
        201,
    )
    return ok(
        await gateway.post(f"{p}/lots/{lot['id']}/gate", headers=h, json={"to": "in_production"})
    )


async def test_lot_reaching_qa_reaches_the_erp_and_quality(
    gateway: httpx.AsyncClient,
    token_for: TokenFor,
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    admin = {"Authorization": f"Bearer {await token_for('admin@paco.example', 'paco')}"}
    ops = {"Authorization": f"Bearer {await token_for('ops@paco.example', 'paco')}"}
    brand = {
        "Authorization": f"Bearer {await token_for('admin@luxurybrandx.example', 'luxury-brand-x')}"
    }
    erp = await subscribe(gateway, admin, receiver.url("erp"), ["production.lot.*"])
    brand_ep = await subscribe(
        gateway, brand, receiver.url("brand"), ["production.lot.gate_reached"]
    )

    lot = await _lot_in_production(gateway, ops, tenants["luxury-brand-x"])
    moved = ok(
        await gateway.post(
            f"/v1/production/lots/{lot['id']}/gate",
            headers={**ops, "If-Match": f'"{lot["version"]}"'},
            json={"to": "qa_pending"},
        )
    )
    assert moved["gate"] == "qa_pending"

    def qa_hits(hits: list[Any], secret: str) -> list[dict[str, Any]]:
        out = []
        for hit in hits:
            payload = Webhook(secret).verify(hit.body, hit.headers)
            if (
                payload["data"].get("lot_id") == lot["id"]
                and payload["data"].get("to") == "qa_pending"
            ):
                assert hit.webhook_id == payload["id"]
                out.append(payload)
        return out

    await receiver.wait_for("erp", lambda h: bool(qa_hits(h, erp["secret"])), wait=20)
    await receiver.wait_for("brand", lambda h: bool(qa_hits(h, brand_ep["secret"])), wait=20)
    [event] = {p["id"]: p for p in qa_hits(receiver.hits["erp"], erp["secret"])}.values()
    assert event["type"] == "production.lot.gate_reached"
    assert event["tenant_id"] == tenants["paco"]
    assert event["customer_tenant_id"] == tenants["luxury-brand-x"]

    # quality heard it too, through its signed internal subscription
    inspector = {"Authorization": f"Bearer {await token_for('inspector@paco.example', 'paco')}"}
    for _ in range(100):
        page = ok(
            await gateway.get(
                "/v1/quality/inspections/awaiting", headers=inspector, params={"lot_id": lot["id"]}
            )
        )
        if page["items"]:
            break
        await asyncio.sleep(0.1)
    [awaiting] = page["items"]
    assert (awaiting["status"], awaiting["quantity"]) == ("awaiting", 10)
    assert awaiting["order_id"] == lot["order_id"]
    # the brand reads the lot made for it; the other brand does not
    brand_view = ok(
        await gateway.get(
            "/v1/quality/inspections/awaiting", headers=brand, params={"lot_id": lot["id"]}
        )
    )
    assert len(brand_view["items"]) == 1
    other = {"Authorization": f"Bearer {await token_for('viewer@maisony.example', 'maison-y')}"}
    assert (
        ok(
            await gateway.get(
                "/v1/quality/inspections/awaiting", headers=other, params={"lot_id": lot["id"]}
            )
        )["items"]
        == []
    )

    # stored once in sync, one ledger row per endpoint
    event_id = uuid.UUID(event["id"])
    assert await db.fetchval("SELECT count(*) FROM sync.events WHERE id = $1", event_id) == 1
    ours = [uuid.UUID(erp["id"]), uuid.UUID(brand_ep["id"])]
    rows = await db.fetch(
        "SELECT e.kind, d.status FROM sync.deliveries d JOIN sync.endpoints e ON e.id = d.endpoint_id "
        "WHERE d.event_id = $1 AND (e.id = ANY($2) OR e.kind = 'internal')",
        event_id,
        ours,
    )
    assert sorted(r["kind"] for r in rows) == ["internal", "tenant", "tenant"]
