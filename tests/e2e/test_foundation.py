"""The foundation's acceptance story, through the gateway as a client would walk it."""

from __future__ import annotations

import uuid

import httpx

from tools.seed import DEMO_PASSWORD, SeedContext
from tools.stack import Stack


async def _login(gw: httpx.AsyncClient, email: str, password: str, tenant: str) -> str:
    resp = await gw.post(
        "/v1/identity/auth/login", json={"email": email, "password": password, "tenant": tenant}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_provider_onboards_a_brand_whose_viewer_sees_only_itself(
    gateway: httpx.AsyncClient, stack: Stack, seed: SeedContext
) -> None:
    admin = await _login(gateway, "admin@paco.example", DEMO_PASSWORD, "paco")
    slug = f"brand-{uuid.uuid4().hex[:8]}"

    # Paco's admin creates a client tenant...
    created = await gateway.post(
        "/v1/identity/tenants", json={"name": "Brand E2E", "slug": slug}, headers=_auth(admin)
    )
    assert created.status_code == 201, created.text
    brand = created.json()
    assert brand["kind"] == "client"

    # ...and provisions a CLIENT_VIEWER, answered once with a temporary password
    email = f"viewer@{slug}.example"
    provisioned = await gateway.post(
        "/v1/identity/client-users",
        json={"client_slug": slug, "client_id": brand["id"], "email": email, "name": "Viewer"},
        headers=_auth(admin),
    )
    assert provisioned.status_code == 201, provisioned.text
    temp_password = provisioned.json()["temporary_password"]
    assert temp_password

    # the viewer logs in; /me names its tenant and the CLIENT space
    viewer = await _login(gateway, email, temp_password, slug)
    # a temporary password only lets the viewer change it; then it signs in again
    changed = await gateway.post(
        "/v1/identity/me/password",
        json={"current_password": temp_password, "new_password": "Viewer-chosen-2026!"},
        headers=_auth(viewer),
    )
    assert changed.status_code == 204, changed.text
    viewer = await _login(gateway, email, "Viewer-chosen-2026!", slug)
    me = await gateway.get("/v1/identity/me", headers=_auth(viewer))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["tenant"]["id"] == brand["id"]
    assert body["space"] == "CLIENT"
    assert "CLIENT_VIEWER" in body["roles"]

    # the viewer cannot create users
    denied = await gateway.post(
        "/v1/identity/users",
        json={"email": f"x@{slug}.example", "name": "X", "roles": ["CLIENT_VIEWER"]},
        headers=_auth(viewer),
    )
    assert denied.status_code == 403, denied.text
    assert denied.headers["content-type"].startswith("application/problem+json")

    # a user of one tenant gets 404 for another tenant's records: via the gateway...
    other = seed.data["tenants"]["maison-y"]
    via_gateway = await gateway.get(f"/v1/identity/tenants/{other}", headers=_auth(viewer))
    assert via_gateway.status_code == 404, via_gateway.text
    # ...and straight at the service, which holds itself to the same rules
    async with httpx.AsyncClient(base_url=stack.service_url("identity")) as direct:
        resp = await direct.get(f"/tenants/{other}", headers=_auth(viewer))
        assert resp.status_code == 404, resp.text
        # a CLIENT_VIEWER holds no users:read, so not even its own tenant's users are listed
        users = await direct.get("/users", headers=_auth(viewer))
        assert (users.status_code, users.json()["code"]) == (403, "missing_permission"), users.text
    # the brand's own record is readable
    own = await gateway.get(f"/v1/identity/tenants/{brand['id']}", headers=_auth(viewer))
    assert own.status_code == 200, own.text
    assert own.json()["slug"] == slug


async def test_every_response_carries_a_request_id(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.get("/v1/identity/me", headers={"x-request-id": "trace-me-123"})
    assert resp.status_code == 401
    assert resp.headers["x-request-id"] == "trace-me-123"
    assert resp.json()["request_id"] == "trace-me-123"
