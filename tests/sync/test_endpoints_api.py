"""The endpoints API: list, patch with If-Match, delete, permissions."""

from __future__ import annotations

import httpx

from tests.sync.conftest import TYPE, Receiver, TokenFor, ingest, make_event, subscribe, unsubscribe
from tools.stack import Stack


async def test_crud_and_if_match(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    receiver.behaviours["crud"] = lambda _h, _n: (500, {}, 0.0)
    ep = await subscribe(gateway, admin_headers, receiver.url("crud"), [TYPE])
    listed = (await gateway.get("/v1/sync/endpoints", headers=admin_headers)).json()["items"]
    assert ep["id"] in {e["id"] for e in listed}
    assert all("secret" not in e for e in listed)

    stale = await gateway.patch(
        f"/v1/sync/endpoints/{ep['id']}",
        headers={**admin_headers, "If-Match": '"999"'},
        json={"description": "x"},
    )
    assert stale.status_code == 412
    resp = await gateway.patch(
        f"/v1/sync/endpoints/{ep['id']}",
        headers={**admin_headers, "If-Match": f'"{ep["version"]}"'},
        json={"description": "ERP", "event_types": [TYPE, "production.lot.gate_reached"]},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["description"] == "ERP" and body["event_types"] == [
        "production.lot.gate_reached",
        TYPE,
    ]
    assert resp.headers["etag"] == f'"{body["version"]}"' and body["version"] > ep["version"]

    # delete while a delivery is being retried: the endpoint and its ledger go
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    await receiver.wait_for("crud", lambda h: len(h) >= 1)
    await unsubscribe(gateway, admin_headers, ep["id"])
    assert (
        await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers)
    ).status_code == 404


async def test_permissions(gateway: httpx.AsyncClient, token_for: TokenFor) -> None:
    viewer = {"Authorization": f"Bearer {await token_for('viewer@paco.example', 'paco')}"}
    assert (await gateway.get("/v1/sync/endpoints", headers=viewer)).status_code == 200
    denied = await gateway.post(
        "/v1/sync/endpoints", headers=viewer, json={"url": "https://example.com/h"}
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "missing_permission"
    assert (await gateway.get("/v1/sync/endpoints")).status_code == 401


async def test_other_tenants_endpoints_are_invisible(
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    token_for: TokenFor,
    receiver: Receiver,
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("mine"), [TYPE])
    brand = {
        "Authorization": f"Bearer {await token_for('admin@luxurybrandx.example', 'luxury-brand-x')}"
    }
    assert (await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=brand)).status_code == 404
    assert (
        await gateway.post(f"/v1/sync/endpoints/{ep['id']}/rotate-secret", headers=brand)
    ).status_code == 404


async def test_api_client_subscribes_in_the_developer_space(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    from standardwebhooks.webhooks import Webhook

    resp = await gateway.post(
        "/v1/identity/api-clients",
        headers=admin_headers,
        json={
            "name": "ERP webhooks",
            "scopes": ["webhooks:read", "webhooks:manage", "events:read"],
        },
    )
    assert resp.status_code == 201, resp.text
    client = resp.json()
    resp = await gateway.post(
        "/v1/identity/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
    )
    assert resp.status_code == 200, resp.text
    dev = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    ep = await subscribe(gateway, dev, receiver.url("dev"), [TYPE])
    assert ep["scope"] == "own"
    event = make_event(TYPE, tenants["paco"])
    await ingest(stack, [event])
    [hit] = await receiver.wait_for("dev", lambda h: len(h) == 1)
    assert Webhook(ep["secret"]).verify(hit.body, hit.headers)["id"] == event["id"]
    # the tenant's admin sees the same subscription
    got = await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers)
    assert got.status_code == 200
