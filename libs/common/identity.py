"""Identity over HTTP, for the services that ask it about tenants and users.

Every call carries the caller's own bearer token (never a service credential): identity
answers only what that caller may see (a provider sees itself, its direct child tenants
and its own users), and a row it does not show comes back as None.

    app = create_service_app(..., extra_lifespans=[identity_lifespan])   # settings.identity_url
    async def route(identity: IdentityDep, token: CallerToken) -> ...:
        tenant = await identity.get_tenant(tenant_id, token)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Protocol

import httpx
from fastapi import Depends, FastAPI, Request

from libs.common.auth import bearer_token
from libs.common.errors import ServiceUnavailable


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    title = "Identity is unavailable"


class IdentitySettings(Protocol):
    """What `identity_lifespan` reads from a service's settings."""

    identity_url: str
    identity_timeout_seconds: float


class IdentityClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, token: str) -> dict[str, Any] | None:
        """The JSON body on 200; None when identity does not show it to this caller (403,
        404); 503 `identity_unavailable` when identity cannot answer."""
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
        """The tenant as identity shows it to this caller; None when it does not."""
        return await self._get(f"/tenants/{tenant_id}", token)

    async def get_user(self, user_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        """The user as identity shows it to this caller; None when it does not."""
        return await self._get(f"/users/{user_id}", token)


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """`app.state.identity`: one client for the app's lifetime, from its settings."""
    settings: IdentitySettings = app.state.settings
    client = IdentityClient(settings.identity_url, timeout=settings.identity_timeout_seconds)
    app.state.identity = client
    try:
        yield
    finally:
        await client.close()


def identity_client(request: Request) -> IdentityClient:
    client: IdentityClient = request.app.state.identity
    return client


def caller_token(request: Request) -> str:
    """The caller's bearer token, to ask identity on its behalf."""
    return bearer_token(request.headers.get("authorization"))


IdentityDep = Annotated[IdentityClient, Depends(identity_client)]
CallerToken = Annotated[str, Depends(caller_token)]
