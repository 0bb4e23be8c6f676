"""Plant-scoped roles: a role granted for one plant grants its permissions for that plant
only (`plant_perms`), and a grant names a plant the tenant has."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from jose import jwt

from tests.identity.conftest import bearer, login, make_plant, unique
from tools.seed import DEMO_PASSWORD
from tools.stack import Stack


async def _user(identity: httpx.AsyncClient, admin: dict[str, str], role: str) -> dict[str, Any]:
    email = f"{unique('floor')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=admin,
        json={"email": email, "name": "Floor", "roles": [role], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_role_granted_for_one_plant_holds_for_that_plant_only(
    identity: httpx.AsyncClient, stack: Stack, paco_admin: dict[str, str]
) -> None:
    plant_a, plant_b = await make_plant(stack, paco_admin), await make_plant(stack, paco_admin)
    user = await _user(identity, paco_admin, "VIEWER")
    resp = await identity.post(
        f"/users/{user['id']}/roles",
        headers=paco_admin,
        json={"role": "INSPECTOR", "plant_id": plant_a},
    )
    assert resp.status_code == 201, resp.text
    assert {"role": "INSPECTOR", "space": "PROVIDER", "plant_id": plant_a} in resp.json()["roles"]

    token = (await login(identity, user["email"], "paco"))["access_token"]
    claims = jwt.get_unverified_claims(token)
    # tenant-wide: only the VIEWER's; the INSPECTOR's hold for plant A alone
    assert claims["perms"] == ["*:read"]
    assert claims["roles"] == ["VIEWER"]
    assert "lots:approve" in claims["plant_perms"][plant_a]
    assert plant_b not in claims["plant_perms"]
    me = (await identity.get("/me", headers=bearer(token))).json()
    assert me["permissions"] == ["*:read"]
    assert "lots:approve" in me["plant_permissions"][plant_a]

    # the same role tenant-wide lands in perms, and the plant scope stays
    resp = await identity.post(
        f"/users/{user['id']}/roles", headers=paco_admin, json={"role": "OPERATOR"}
    )
    assert resp.status_code == 201, resp.text
    claims = jwt.get_unverified_claims(
        (await login(identity, user["email"], "paco"))["access_token"]
    )
    assert "lots:write" in claims["perms"] and "lots:approve" not in claims["perms"]


async def test_a_grant_for_a_plant_the_tenant_does_not_have_is_refused(
    identity: httpx.AsyncClient, stack: Stack, paco_admin: dict[str, str], seed: Any
) -> None:
    user = await _user(identity, paco_admin, "VIEWER")
    resp = await identity.post(
        f"/users/{user['id']}/roles",
        headers=paco_admin,
        json={"role": "INSPECTOR", "plant_id": str(uuid.uuid4())},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "unknown_plant"
    assert resp.headers["content-type"].startswith("application/problem+json")
    # nothing was granted
    got = (await identity.get(f"/users/{user['id']}", headers=paco_admin)).json()
    assert [g["role"] for g in got["roles"]] == ["VIEWER"]

    # a client tenant has no plants, even one of its provider's
    plant = await make_plant(stack, paco_admin)
    resp = await identity.post(
        "/client-users",
        headers=paco_admin,
        json={
            "client_slug": "luxury-brand-x",
            "email": f"{unique('brand')}@luxurybrandx.example",
            "name": "Brand",
            "password": DEMO_PASSWORD,
        },
    )
    assert resp.status_code == 201, resp.text
    resp = await identity.post(
        f"/users/{resp.json()['id']}/roles",
        headers=paco_admin,
        json={"role": "CLIENT_ADMIN", "plant_id": plant},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "unknown_plant"
