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
