"""Paco onboards its own brand customers: client tenants, client users, spaces, isolation."""

from __future__ import annotations

import httpx
import pytest

from tests.identity.conftest import activate, bearer, login, make_plant, token_for, unique
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.stack import Stack


async def test_provider_onboards_client_and_viewer_sees_own_tenant(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    slug = unique("brand")
    resp = await identity.post(
        "/tenants",
        headers=paco_admin,
        json={"name": "Brand Z", "slug": slug, "logo_url": "https://cdn.paco.example/z.png"},
    )
    assert resp.status_code == 201, resp.text
    client_tenant = resp.json()
    assert client_tenant["kind"] == "client"
    assert client_tenant["parent_id"] == seed.data["tenants"]["paco"]
    assert resp.headers["etag"] == '"1"'

    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={"client_slug": slug, "email": "qa.lead@brand-z.example", "name": "QA lead"},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["roles"] == [{"role": "CLIENT_VIEWER", "space": "CLIENT", "plant_id": None}]
    temp = created["temporary_password"]
    assert temp

    tokens = await activate(identity, "QA.Lead@brand-z.example", slug, temp)
    assert tokens["space"] == "CLIENT"
    viewer = bearer(tokens["access_token"])
    me = (await identity.get("/me", headers=viewer)).json()
    assert me["tenant"]["slug"] == slug
    assert me["tenant"]["id"] == client_tenant["id"]
    assert me["space"] == "CLIENT"
    assert me["roles"] == ["CLIENT_VIEWER"]
    assert "orders:read" in me["permissions"]
    assert me["user"]["email"] == "qa.lead@brand-z.example"

    # the viewer cannot create users, tenants or client users
    for path, body in (
        ("/users", {"email": "x@brand-z.example", "name": "X", "roles": ["CLIENT_VIEWER"]}),
        ("/client-users", {"client_slug": slug, "email": "y@brand-z.example", "name": "Y"}),
        ("/tenants", {"name": "Nope", "slug": unique("nope")}),
    ):
        resp = await identity.post(path, headers=viewer, json=body)
        assert resp.status_code == 403, (path, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")

    # email unique per tenant, case-insensitively
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={"client_id": client_tenant["id"], "name": "Dup", "email": "QA.LEAD@brand-z.example"},
    )
    assert resp.status_code == 409


async def test_client_slug_and_id_must_agree(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={
            "client_slug": "luxury-brand-x",
            "client_id": seed.data["tenants"]["maison-y"],
            "email": "someone@example.com",
            "name": "Someone",
        },
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "client_mismatch"
    # neither: validation error
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={"email": "someone@example.com", "name": "Someone"},
    )
    assert resp.status_code == 422
    # a client tenant of someone else (or the operator) is not found
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={"client_slug": "pack-polish", "email": "someone@example.com", "name": "Someone"},
    )
    assert resp.status_code == 404
    # provider roles cannot be granted in a client tenant
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={
            "client_slug": "maison-y",
            "email": "someone@example.com",
            "name": "S",
            "roles": ["ADMIN"],
        },
    )
    assert resp.status_code == 422


async def test_records_of_another_tenant_are_not_found(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    tenants = seed.data["tenants"]
    maison_users = (
        await identity.get("/users", headers=paco_admin, params={"tenant_id": tenants["maison-y"]})
    ).json()["items"]
    assert maison_users, "paco administers its client tenants' users"
    lux_admin = bearer(await token_for(identity, "admin@luxurybrandx.example", "luxury-brand-x"))
    assert (
        await identity.get(f"/users/{maison_users[0]['id']}", headers=lux_admin)
    ).status_code == 404
    assert (
        await identity.get(f"/tenants/{tenants['maison-y']}", headers=lux_admin)
    ).status_code == 404
    resp = await identity.get(
        "/users", headers=lux_admin, params={"tenant_id": tenants["maison-y"]}
    )
    assert resp.status_code == 404
    # a provider reaches nothing above it
    assert (
        await identity.get(f"/tenants/{tenants['pack-polish']}", headers=paco_admin)
    ).status_code == 404
    own = (await identity.get("/users", headers=lux_admin)).json()["items"]
    assert {u["tenant_id"] for u in own} == {tenants["luxury-brand-x"]}


async def test_users_roles_grant_revoke_and_etag(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], stack: Stack, seed: SeedContext
) -> None:
    email = f"{unique('multi')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=paco_admin,
        json={
            "email": email,
            "name": "Multi",
            "roles": ["VIEWER", "INTEGRATION_MANAGER"],
            "password": DEMO_PASSWORD,
        },
    )
    assert resp.status_code == 201, resp.text
    user = resp.json()
    assert user["temporary_password"] is None
    # two spaces: login must name one
    resp = await identity.post(
        "/auth/login", json={"email": email, "password": DEMO_PASSWORD, "tenant": "paco"}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "space_required"
    dev = await login(identity, email, "paco", space="DEVELOPER")
    me = (await identity.get("/me", headers=bearer(dev["access_token"]))).json()
    assert me["space"] == "DEVELOPER" and me["roles"] == ["INTEGRATION_MANAGER"]

    resp = await identity.post(
        f"/users/{user['id']}/roles",
        headers=paco_admin,
        json={"role": "INSPECTOR", "plant_id": await make_plant(stack, paco_admin)},
    )
    assert resp.status_code == 201, resp.text
    assert {r["role"] for r in resp.json()["roles"]} == {
        "VIEWER",
        "INTEGRATION_MANAGER",
        "INSPECTOR",
    }
    resp = await identity.delete(
        f"/users/{user['id']}/roles/INTEGRATION_MANAGER", headers=paco_admin
    )
    assert resp.status_code == 204
    assert (await login(identity, email, "paco"))["space"] == "PROVIDER"
    resp = await identity.delete(
        f"/users/{user['id']}/roles/INTEGRATION_MANAGER", headers=paco_admin
    )
    assert resp.status_code == 404

    # an OPS_MANAGER cannot grant ADMIN (no escalation), nor create users (no users:manage)
    ops = bearer(await token_for(identity, "ops@paco.example", "paco"))
    resp = await identity.post(f"/users/{user['id']}/roles", headers=ops, json={"role": "ADMIN"})
    assert resp.status_code == 403

    # ETag / If-Match on users
    got = await identity.get(f"/users/{user['id']}", headers=paco_admin)
    etag = got.headers["etag"]
    resp = await identity.patch(
        f"/users/{user['id']}",
        headers={**paco_admin, "If-Match": etag},
        json={"name": "Multi Renamed"},
    )
    assert resp.status_code == 200
    resp = await identity.patch(
        f"/users/{user['id']}", headers={**paco_admin, "If-Match": etag}, json={"name": "Stale"}
    )
    assert resp.status_code == 412

    audit = (
        await identity.get("/audit-events", headers=paco_admin, params={"action": "role.revoked"})
    ).json()["items"]
    assert any(a["target"] == f"user:{user['id']}" for a in audit)


async def test_tenant_patch_if_match_and_list(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    slug = unique("patch")
    created = (
        await identity.post("/tenants", headers=paco_admin, json={"name": "Patch Me", "slug": slug})
    ).json()
    resp = await identity.patch(
        f"/tenants/{created['id']}",
        headers={**paco_admin, "If-Match": '"1"'},
        json={"name": "Patched", "logo_url": "https://x.example/l.png"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2 and resp.headers["etag"] == '"2"'
    resp = await identity.patch(
        f"/tenants/{created['id']}",
        headers={**paco_admin, "If-Match": '"1"'},
        json={"name": "Lost update"},
    )
    assert resp.status_code == 412
    # duplicate slug
    resp = await identity.post("/tenants", headers=paco_admin, json={"name": "Dup", "slug": slug})
    assert resp.status_code == 409
    # cursor pagination
    page1 = (await identity.get("/tenants", headers=paco_admin, params={"limit": 1})).json()
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    page2 = (
        await identity.get(
            "/tenants", headers=paco_admin, params={"limit": 1, "cursor": page1["next_cursor"]}
        )
    ).json()
    assert page2["items"][0]["id"] != page1["items"][0]["id"]


async def test_roles_list_and_custom_role(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    roles = (await identity.get("/roles", headers=paco_admin, params={"limit": 200})).json()[
        "items"
    ]
    names = {r["name"] for r in roles}
    assert {
        "ADMIN",
        "OPS_MANAGER",
        "OPERATOR",
        "INSPECTOR",
        "C_LEVEL",
        "VIEWER",
        "QA_LEAD",
    } <= names
    name = unique("AUDITOR").upper().replace("-", "_")
    resp = await identity.post(
        "/roles",
        headers=paco_admin,
        json={"name": name, "space": "PROVIDER", "permissions": ["audit:read", "orders:read"]},
    )
    assert resp.status_code == 201, resp.text
    resp = await identity.post(
        "/roles",
        headers=paco_admin,
        json={"name": name + "_BAD", "space": "PROVIDER", "permissions": ["not a permission"]},
    )
    assert resp.status_code == 422


@pytest.mark.e2e
async def test_through_the_gateway(stack: Stack, seed: SeedContext) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gw:
        tokens = await login(
            gw, "viewer@luxurybrandx.example", "luxury-brand-x", prefix="/v1/identity"
        )
        me = await gw.get("/v1/identity/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["tenant"]["slug"] == "luxury-brand-x"
        jwks = await gw.get("/v1/identity/.well-known/jwks.json")
        assert jwks.status_code == 200 and jwks.json()["keys"]
        assert (await gw.get("/v1/identity/me")).status_code == 401


async def test_operator_creates_and_edits_a_provider(
    identity: httpx.AsyncClient,
    operator_admin: dict[str, str],
    paco_admin: dict[str, str],
    seed: SeedContext,
) -> None:
    slug = unique("prov")
    resp = await identity.post(
        "/tenants", headers=operator_admin, json={"name": "Prov", "slug": slug}
    )
    assert resp.status_code == 201, resp.text
    prov = resp.json()
    assert prov["kind"] == "provider"
    resp = await identity.patch(
        f"/tenants/{prov['id']}", headers=operator_admin, json={"name": "Prov renamed"}
    )
    assert resp.status_code == 200, resp.text
    # Paco edits itself but not its parent
    own = await identity.get(f"/tenants/{seed.data['tenants']['paco']}", headers=paco_admin)
    assert own.status_code == 200
    resp = await identity.patch(
        f"/tenants/{seed.data['tenants']['pack-polish']}",
        headers=paco_admin,
        json={"name": "Hijack"},
    )
    assert resp.status_code == 404


async def test_custom_role_in_a_client_tenant_is_grantable(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    lux = seed.data["tenants"]["luxury-brand-x"]
    name = unique("BRAND_QA").upper().replace("-", "_")
    resp = await identity.post(
        "/roles",
        headers=paco_admin,
        json={"name": name, "space": "PROVIDER", "permissions": ["lots:read"], "tenant_id": lux},
    )
    assert resp.status_code == 422
    resp = await identity.post(
        "/roles",
        headers=paco_admin,
        json={
            "name": name,
            "space": "CLIENT",
            "permissions": ["lots:read", "reports:read"],
            "tenant_id": lux,
        },
    )
    assert resp.status_code == 201, resp.text
    email = f"{unique('qa')}@luxurybrandx.example"
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={"client_id": lux, "email": email, "name": "Brand QA", "roles": [name]},
    )
    assert resp.status_code == 201, resp.text
    me = (
        await identity.get(
            "/me",
            headers=bearer(
                (
                    await activate(
                        identity, email, "luxury-brand-x", resp.json()["temporary_password"]
                    )
                )["access_token"]
            ),
        )
    ).json()
    assert me["roles"] == [name] and me["permissions"] == ["lots:read", "reports:read"]
