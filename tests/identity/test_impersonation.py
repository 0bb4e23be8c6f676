"""Impersonation across real processes: only under an active elevation with
`users:impersonate` and a justification; the token is the target's with `act` naming the
real actor (RFC 8693); sensitive fields are masked, passwords, API clients, signing keys
and elevations refused; it ends with the elevation; every audit row names both."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from jose import jwt

from libs.common.settings import ServiceSettings
from tests.fixtures.users import Tokens
from tests.identity.conftest import audit_of, bearer, elevate, new_user
from tools.seed import DEMO_PASSWORD

TTL = ServiceSettings().elevation_status_ttl_seconds
WHY = "ticket 7: the brand admin cannot see its orders"


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.get("/me", headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _impersonate(
    identity: httpx.AsyncClient, headers: dict[str, str], user_id: str
) -> httpx.Response:
    return await identity.post(
        "/impersonations", headers=headers, json={"user_id": user_id, "justification": WHY}
    )


async def test_impersonation_acts_as_the_user_names_both_and_is_fenced(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = tokens.headers("admin")
    actor_id = str((await _me(identity, admin))["user"]["id"])
    _, approver = await new_user(identity, admin, ["ADMIN"])
    target_id, _ = await new_user(identity, admin, ["ADMIN"])

    # an admin's own token, however powerful, does not impersonate
    resp = await _impersonate(identity, admin, target_id)
    assert resp.status_code == 403 and resp.json()["code"] == "elevation_required"
    # an elevation without the impersonation scope does not either
    _, other = await elevate(identity, admin, approver, ["audit:read"])
    resp = await _impersonate(identity, bearer(other), target_id)
    assert resp.status_code == 403 and resp.json()["code"] == "elevation_required"

    eid, elevated = await elevate(identity, admin, approver, ["users:impersonate"])
    resp = await identity.post(
        "/impersonations", headers=bearer(elevated), json={"user_id": target_id}
    )
    assert resp.status_code == 422  # a justification is required
    resp = await _impersonate(identity, bearer(elevated), actor_id)
    assert resp.status_code == 422 and resp.json()["code"] == "impersonate_self"
    platform_id = str((await _me(identity, tokens.headers("platform")))["user"]["id"])
    resp = await _impersonate(identity, bearer(elevated), platform_id)
    assert resp.status_code == 404  # never across tenants the actor does not administer

    resp = await _impersonate(identity, bearer(elevated), target_id)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["actor"] == actor_id and body["user_id"] == target_id
    assert body["elevation_id"] == eid and body.get("refresh_token") is None
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == target_id and claims["act"]["sub"] == actor_id
    assert claims["elev"] == {
        "id": eid,
        "scopes": [],
        "exp": jwt.get_unverified_claims(elevated)["elev"]["exp"],
        "tid": claims["tid"],
    }
    imp = bearer(body["access_token"])

    # acts as the target, through the gateway, in identity and in the services
    me = (await gateway.get("/v1/identity/me", headers=imp)).json()
    assert me["user"]["id"] == target_id
    assert me["user"]["email"].startswith(me["user"]["email"][0] + "***@")
    assert (await gateway.get("/v1/production/plants", headers=imp)).status_code == 200
    # sensitive fields are masked for the impersonator (and only for it)
    users = (await gateway.get("/v1/identity/users", headers=imp)).json()["items"]
    assert users and all("***@" in u["email"] for u in users)
    plain = (await gateway.get("/v1/identity/users", headers=admin)).json()["items"]
    assert all("***" not in u["email"] for u in plain)

    # what an impersonator never does
    refused = [
        await gateway.post(
            "/v1/identity/me/password",
            headers=imp,
            json={"current_password": DEMO_PASSWORD, "new_password": "Another-password-1!"},
        ),
        await gateway.put(
            f"/v1/identity/users/{actor_id}/password",
            headers=imp,
            json={"password": "Another-password-1!"},
        ),
        await gateway.post(
            "/v1/identity/api-clients", headers=imp, json={"name": "x", "scopes": ["orders:read"]}
        ),
        await gateway.post("/v1/identity/admin/keys/rotate", headers=imp),
        await gateway.post(
            "/v1/identity/impersonations",
            headers=imp,
            json={"user_id": actor_id, "justification": WHY},
        ),
        await gateway.post(
            "/v1/identity/elevations",
            headers=imp,
            json={"scopes": ["audit:read"], "reason": "from the impersonation"},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 6
    assert [r.json()["code"] for r in refused][:5] == ["impersonation_forbidden"] * 5
    assert refused[0].headers["content-type"] == "application/problem+json"

    # what it does is audited under both names
    resp = await gateway.patch(
        f"/v1/identity/users/{target_id}", headers=imp, json={"name": "Renamed by support"}
    )
    assert resp.status_code == 200, resp.text
    started = [
        a
        for a in await audit_of(identity, admin, action="impersonation.started")
        if a["details"].get("elevation_id") == eid
    ]
    assert len(started) == 1
    assert started[0]["actor"] == actor_id and started[0]["target"] == f"user:{target_id}"
    assert started[0]["act"] == actor_id and started[0]["details"]["justification"] == WHY
    updated = [
        a
        for a in await audit_of(identity, admin, action="user.updated")
        if a["target"] == f"user:{target_id}"
    ]
    assert [(a["actor"], a["act"]) for a in updated] == [(target_id, actor_id)]
    used = [
        a
        for a in await audit_of(identity, admin, action="elevation.used")
        if a["details"].get("elevation_id") == eid
    ]
    assert [u["details"]["permissions"] for u in used] == [["users:impersonate"]]

    # it ends with the elevation, everywhere
    resp = await identity.post(f"/elevations/{eid}/revoke", headers=approver)
    assert resp.status_code == 200
    resp = await gateway.get("/v1/identity/me", headers=imp)
    assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"
    started_at = time.monotonic()
    while (await gateway.get("/v1/production/plants", headers=imp)).status_code != 401:
        assert time.monotonic() - started_at < TTL + 5, "production still honours it"
        await asyncio.sleep(0.25)


async def test_a_provider_impersonates_a_user_of_its_client_tenant(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = tokens.headers("admin")
    _, approver = await new_user(identity, admin, ["ADMIN"])
    brand_me = await _me(identity, tokens.headers("lbx_admin"))
    brand_admin, brand = str(brand_me["user"]["id"]), str(brand_me["tenant"]["id"])
    eid, elevated = await elevate(identity, admin, approver, ["users:impersonate"])

    resp = await _impersonate(identity, bearer(elevated), brand_admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["tenant_id"] == brand and resp.json()["space"] == "CLIENT"
    imp = bearer(resp.json()["access_token"])
    assert (await gateway.get("/v1/production/orders", headers=imp)).status_code == 200
    me = (await gateway.get("/v1/identity/me", headers=imp)).json()
    assert me["user"]["email"] == "a***@luxurybrandx.example"

    # the brand's own audit trail shows who came in, under which name
    rows = [
        a
        for a in await audit_of(identity, admin, action="impersonation.started", tenant_id=brand)
        if a["details"].get("elevation_id") == eid
    ]
    assert len(rows) == 1 and rows[0]["target"] == f"user:{brand_admin}"
    assert rows[0]["act"] == rows[0]["actor"] != brand_admin
