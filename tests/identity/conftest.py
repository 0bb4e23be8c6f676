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
    return resp.json()  # type: ignore[no-any-return]


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
