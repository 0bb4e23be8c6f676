"""Identity over HTTP, with the caller's own bearer token (never a service credential):
identity answers only what that caller may see (a provider sees its direct children and
its own users)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from libs.common.errors import ServiceUnavailable


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    title = "Identity is unavailable"


class IdentityClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, token: str) -> dict[str, Any] | None:
        """The JSON body on 200; None when identity does not show it to this caller."""
        try:
            resp = await self._http.get(path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"Identity could not be reached: {exc}") from None
        if resp.status_code == 200:
            body = resp.json()
            return body if isinstance(body, dict) else None
        if resp.status_code in (403, 404):
            return None
        raise IdentityUnavailable(f"Identity answered {resp.status_code}")

    async def get_tenant(self, tenant_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        return await self._get(f"/tenants/{tenant_id}", token)

    async def get_user(self, user_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        return await self._get(f"/users/{user_id}", token)


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    client = IdentityClient(settings.identity_url, timeout=settings.identity_timeout_seconds)
    app.state.identity = client
    try:
        yield
    finally:
        await client.close()
