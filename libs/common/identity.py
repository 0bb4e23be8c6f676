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
from libs.common.deps import CurrentPrincipal
from libs.common.errors import ServiceUnavailable, Unprocessable


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

    async def fetch(
        self, path: str, token: str, params: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON body on 200). 403 and 404 are answers identity gives this caller;
        anything else, or no answer, is 503 `identity_unavailable`."""
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

    async def _get(self, path: str, token: str) -> dict[str, Any] | None:
        """The JSON body on 200; None when identity does not show it to this caller."""
        return (await self.fetch(path, token))[1]

    async def get_tenant(self, tenant_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        """The tenant as identity shows it to this caller; None when it does not."""
        return await self._get(f"/tenants/{tenant_id}", token)

    async def get_user(self, user_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        """The user as identity shows it to this caller; None when it does not."""
        return await self._get(f"/users/{user_id}", token)

    async def role_permissions(self, token: str) -> dict[str, list[str]]:
        """Role name -> permissions in the caller's tenant (its first 200 roles)."""
        status, body = await self.fetch("/roles", token, {"limit": "200"})
        if status != 200 or body is None:
            return {}
        return {r["name"]: list(r.get("permissions") or []) for r in body.get("items", [])}


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


async def identity_client(request: Request) -> IdentityClient:
    client: IdentityClient = request.app.state.identity
    return client


async def caller_token(request: Request) -> str:
    """The caller's bearer token, to ask identity on its behalf."""
    return bearer_token(request.headers.get("authorization"))


IdentityDep = Annotated[IdentityClient, Depends(identity_client)]
CallerToken = Annotated[str, Depends(caller_token)]


class UnknownClientTenant(Unprocessable):
    code = "unknown_client_tenant"
    title = "No client tenant of yours has this id"


class ClientTenants:
    """Checks, for one request, that a tenant id names a client tenant of the caller's:
    identity shows a provider its direct child tenants only (404 otherwise), so a service
    keeps no copy of the tenant tree to check a client tenant it is told to write."""

    def __init__(self, client: IdentityClient, principal_tenant: uuid.UUID, token: str) -> None:
        self._client = client
        self._tenant = principal_tenant
        self._token = token
        self._known: set[uuid.UUID] = set()

    async def require(self, tenant_id: uuid.UUID | None) -> None:
        """None passes; else a direct client tenant of the caller's tenant, or 422."""
        if tenant_id is None or tenant_id in self._known:
            return
        answer = await self._client.get_tenant(tenant_id, self._token)
        if (
            answer is None
            or str(answer.get("parent_id")) != str(self._tenant)
            or answer.get("kind") != "client"
        ):
            raise UnknownClientTenant(
                f"Tenant {tenant_id} is not a client tenant of yours",
                extra={"client_tenant_id": str(tenant_id)},
            )
        self._known.add(tenant_id)


async def client_tenants(
    identity: IdentityDep, token: CallerToken, principal: CurrentPrincipal
) -> ClientTenants:
    return ClientTenants(identity, principal.tenant_id, token)


ClientTenantsDep = Annotated[ClientTenants, Depends(client_tenants)]
