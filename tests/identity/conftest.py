"""Identity test helpers: clients on the identity service (and the gateway), logins, tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tools.seed import DEMO_PASSWORD
from tools.stack import Stack


@pytest.fixture
async def identity(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.service_url("identity"), timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def login(
    client: httpx.AsyncClient,
    email: str,
    tenant: str,
    password: str = DEMO_PASSWORD,
    space: str | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    body: dict[str, Any] = {"email": email, "password": password, "tenant": tenant}
    if space:
        body["space"] = space
    resp = await client.post(f"{prefix}/auth/login", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_for(client: httpx.AsyncClient, email: str, tenant: str, **kw: Any) -> str:
    return str((await login(client, email, tenant, **kw))["access_token"])


@pytest.fixture
async def paco_admin(identity: httpx.AsyncClient, seed: Any) -> dict[str, str]:
    return bearer(await token_for(identity, "admin@paco.example", "paco"))


@pytest.fixture
async def operator_admin(identity: httpx.AsyncClient, seed: Any) -> dict[str, str]:
    token = await token_for(
        identity, "admin@packpolish.example", "pack-polish", password=seed.operator_admin_password
    )
    return bearer(token)


NEW_PASSWORD = "Chosen-password-2026!"


async def activate(
    client: httpx.AsyncClient, email: str, tenant: str, temporary: str, prefix: str = ""
) -> dict[str, Any]:
    """Sign in with a temporary password, change it, sign in again: the full tokens."""
    first = await login(client, email, tenant, password=temporary, prefix=prefix)
    assert first["password_change_required"] is True
    resp = await client.post(
        f"{prefix}/me/password",
        headers=bearer(first["access_token"]),
        json={"current_password": temporary, "new_password": NEW_PASSWORD},
    )
    assert resp.status_code == 204, resp.text
    tokens = await login(client, email, tenant, password=NEW_PASSWORD, prefix=prefix)
    assert tokens["password_change_required"] is False
    return tokens


async def make_plant(stack: Stack, headers: dict[str, str]) -> str:
    """A plant of the caller's tenant, made in production."""
    async with httpx.AsyncClient(base_url=stack.service_url("production"), timeout=30) as prod:
        code = unique("PLT").upper()
        resp = await prod.post("/plants", headers=headers, json={"code": code, "name": code})
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])


async def new_user(
    identity: httpx.AsyncClient, admin: dict[str, str], roles: list[str], tenant: str = "paco"
) -> tuple[str, dict[str, str]]:
    """A fresh user of Paco with `roles` and the demo password: (its id, its headers)."""
    email = f"{unique('u')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=admin,
        json={"email": email, "name": email, "roles": roles, "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"]), bearer(await token_for(identity, email, tenant))


async def elevate(
    identity: httpx.AsyncClient,
    requester: dict[str, str],
    approver: dict[str, str],
    scopes: list[str],
    minutes: int = 10,
) -> tuple[str, str]:
    """Break-glass end to end: ask, another admin approves, start with the password.
    Returns (elevation id, the elevated access token)."""
    resp = await identity.post(
        "/elevations",
        headers=requester,
        json={"scopes": scopes, "reason": "incident: tests need it", "duration_minutes": minutes},
    )
    assert resp.status_code == 201, resp.text
    eid = str(resp.json()["id"])
    resp = await identity.post(f"/elevations/{eid}/approve", headers=approver)
    assert resp.status_code == 200, resp.text
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=requester, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    return eid, str(resp.json()["access_token"])


async def audit_of(
    identity: httpx.AsyncClient, admin: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    """The newest 200 audit rows the admin reads (its tenant, or `tenant_id=` a client)."""
    resp = await identity.get("/audit-events", headers=admin, params={"limit": "200", **params})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])
