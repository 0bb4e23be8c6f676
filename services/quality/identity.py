"""Identity over HTTP, with the caller's own bearer token (never a service credential):
identity shows a provider its own users and roles (`users:read`).

A minimal copy of production's client (services/production/identity.py); the helper `kit2`
is moving one into libs/common, which this should use once it is on main."""

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

    async def get(
        self, path: str, token: str, params: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON body on 200). 403 and 404 are answers; anything else is an outage."""
        try:
            resp = await self._http.get(
                path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"Identity could not be reached: {exc}") from None
        if resp.status_code == 200:
            body = resp.json()
            return 200, body if isinstance(body, dict) else None
        if resp.status_code in (403, 404):
            return resp.status_code, None
        raise IdentityUnavailable(f"Identity answered {resp.status_code}")

    async def get_user(self, user_id: uuid.UUID, token: str) -> tuple[int, dict[str, Any] | None]:
        return await self.get(f"/users/{user_id}", token)

    async def role_permissions(self, token: str) -> dict[str, list[str]]:
        """Role name -> permissions, for the caller's tenant (first 200 roles)."""
        status, body = await self.get("/roles", token, {"limit": "200"})
        if status != 200 or body is None:
            return {}
        return {r["name"]: list(r.get("permissions") or []) for r in body.get("items", [])}


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    client = IdentityClient(settings.identity_url, timeout=settings.identity_timeout_seconds)
    app.state.identity = client
    try:
        yield
    finally:
        await client.close()
