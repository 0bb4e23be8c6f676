"""Refresh rotation and reuse detection, logout, invites, API clients, audit of failures."""

from __future__ import annotations

import httpx

from tests.identity.conftest import bearer, login, token_for, unique
from tools.seed import DEMO_PASSWORD, SeedContext


async def test_refresh_rotates_and_reuse_revokes_the_family(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    first = await login(identity, "inspector@paco.example", "paco")
    r1 = first["refresh_token"]
    resp = await identity.post("/auth/refresh", json={"refresh_token": r1})
    assert resp.status_code == 200, resp.text
    r2 = resp.json()["refresh_token"]
    assert r2 != r1
    # OAuth form on /auth/token does the same
    resp = await identity.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": r2}
    )
    assert resp.status_code == 200, resp.text
    r3 = resp.json()["refresh_token"]
    me = await identity.get("/me", headers=bearer(resp.json()["access_token"]))
    assert me.json()["roles"] == ["INSPECTOR"]

    # r1 was already rotated: reuse kills the whole family, r3 included
    resp = await identity.post("/auth/refresh", json={"refresh_token": r1})
    assert resp.status_code == 401
    assert resp.json()["code"] == "invalid_grant"
    resp = await identity.post("/auth/refresh", json={"refresh_token": r3})
    assert resp.status_code == 401

    audit = (
        await identity.get(
            "/audit-events", headers=paco_admin, params={"action": "auth.refresh_reuse_detected"}
        )
    ).json()["items"]
    assert audit and audit[0]["details"]["revoked"] >= 1
    # another login is a new family, unaffected
    assert (await login(identity, "inspector@paco.example", "paco"))["refresh_token"]


async def test_logout_revokes_the_family(identity: httpx.AsyncClient, seed: SeedContext) -> None:
    tokens = await login(identity, "viewer@paco.example", "paco")
    r2 = (
        await identity.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    resp = await identity.post(
        "/auth/logout",
        headers=bearer(r2["access_token"]),
        json={"refresh_token": r2["refresh_token"]},
    )
    assert resp.status_code == 204
    resp = await identity.post("/auth/refresh", json={"refresh_token": r2["refresh_token"]})
    assert resp.status_code == 401


async def test_login_failures_are_audited(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    resp = await identity.post(
        "/auth/login",
        json={"email": "ceo@paco.example", "password": "wrong-password", "tenant": "paco"},
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "invalid_credentials"
    resp = await identity.post(
        "/auth/login",
        json={"email": "ghost@paco.example", "password": "whatever", "tenant": "paco"},
    )
    assert resp.status_code == 401
    resp = await identity.post(
        "/auth/login",
        json={
            "email": "ceo@paco.example",
            "password": DEMO_PASSWORD,
            "tenant": "paco",
            "space": "CLIENT",
        },
    )
    assert resp.status_code == 403
    events = (
        await identity.get(
            "/audit-events", headers=paco_admin, params={"action": "auth.login_failed", "limit": 50}
        )
    ).json()["items"]
    reasons = {e["details"]["reason"] for e in events}
    assert {"bad_password", "unknown_user", "space_not_allowed"} <= reasons
    assert all("wrong-password" not in str(e) for e in events)
    # a viewer may not read the audit trail
    viewer = bearer(await token_for(identity, "viewer@luxurybrandx.example", "luxury-brand-x"))
    assert (await identity.get("/audit-events", headers=viewer)).status_code == 403


async def test_invite_is_accepted_once(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    email = f"{unique('invitee')}@paco.example"
    resp = await identity.post(
        "/invites",
        headers=paco_admin,
        json={"email": email, "roles": ["INSPECTOR"], "space": "PROVIDER"},
    )
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    body = {"password": "A-long-password-1", "name": "Invited Inspector"}
    resp = await identity.post(f"/invites/{token}/accept", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["user"]["roles"][0]["role"] == "INSPECTOR"
    resp = await identity.post(f"/invites/{token}/accept", json=body)
    assert resp.status_code == 410
    assert resp.json()["code"] == "invite_used"
    resp = await identity.post("/invites/not-a-real-token-at-all/accept", json=body)
    assert resp.status_code == 404
    tokens = await login(identity, email, "paco", password="A-long-password-1")
    assert tokens["space"] == "PROVIDER"
    # roles of the wrong space are refused
    resp = await identity.post(
        "/invites",
        headers=paco_admin,
        json={"email": email, "roles": ["INSPECTOR"], "space": "CLIENT"},
    )
    assert resp.status_code == 422


async def test_client_invite_into_a_client_tenant(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    email = f"{unique('brand')}@maisony.example"
    resp = await identity.post(
        "/invites",
        headers=paco_admin,
        json={
            "email": email,
            "roles": ["CLIENT_VIEWER"],
            "space": "CLIENT",
            "tenant_id": seed.data["tenants"]["maison-y"],
        },
    )
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    resp = await identity.post(
        f"/invites/{token}/accept", json={"password": "A-long-password-2", "name": "Brand person"}
    )
    assert resp.status_code == 201
    assert resp.json()["tenant_slug"] == "maison-y"


async def test_api_client_credentials_give_a_developer_token(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], seed: SeedContext
) -> None:
    resp = await identity.post(
        "/api-clients",
        headers=paco_admin,
        json={"name": "Paco ERP", "scopes": ["orders:read", "lots:read"]},
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    cid, secret = created["client_id"], created["client_secret"]

    resp = await identity.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
    )
    assert resp.status_code == 200, resp.text
    tok = resp.json()
    assert tok["space"] == "DEVELOPER" and tok["token_type"] == "Bearer"
    assert tok.get("refresh_token") is None
    me = (await identity.get("/me", headers=bearer(tok["access_token"]))).json()
    assert me["space"] == "DEVELOPER"
    assert me["permissions"] == ["lots:read", "orders:read"]
    assert me["client_id"] == cid and me["user"] is None
    assert me["tenant"]["id"] == seed.data["tenants"]["paco"]

    # a narrower scope
    resp = await identity.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_secret": secret,
            "scope": "orders:read",
        },
    )
    assert resp.status_code == 200
    assert resp.json()["scope"] == "orders:read"
    # wrong secret, unknown scope
    resp = await identity.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": "nope"},
    )
    assert resp.status_code == 401
    resp = await identity.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_secret": secret,
            "scope": "orders:write",
        },
    )
    assert resp.status_code == 400

    listed = (await identity.get("/api-clients", headers=paco_admin)).json()["items"]
    assert any(c["client_id"] == cid for c in listed)
    assert all("secret" not in k for c in listed for k in c)
    resp = await identity.delete(f"/api-clients/{created['id']}", headers=paco_admin)
    assert resp.status_code == 204
    resp = await identity.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
    )
    assert resp.status_code == 401
    # scopes beyond the caller's own are refused
    ops = bearer(await token_for(identity, "ops@paco.example", "paco"))
    resp = await identity.post(
        "/api-clients", headers=ops, json={"name": "x", "scopes": ["orders:read"]}
    )
    assert resp.status_code == 403


async def test_parallel_logins_of_one_user_all_succeed(identity: httpx.AsyncClient) -> None:
    import asyncio

    body = {"email": "ceo@paco.example", "password": DEMO_PASSWORD, "tenant": "paco"}
    answers = await asyncio.gather(*(identity.post("/auth/login", json=body) for _ in range(6)))
    assert [r.status_code for r in answers] == [200] * 6, [
        r.text for r in answers if r.status_code != 200
    ]
