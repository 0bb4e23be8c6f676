"""Identity over HTTP, with the caller's own bearer token (never a service credential):
identity shows a provider its direct child tenants only (404 otherwise). Catalog keeps no
copy of the tenant tree; it asks here whenever it writes an organisation's client tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request

from libs.common.auth import bearer_token
from libs.common.deps import CurrentPrincipal
from libs.common.errors import ServiceUnavailable, Unprocessable


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    title = "Identity is unavailable"


class UnknownClientTenant(Unprocessable):
    code = "unknown_client_tenant"
    title = "No client tenant of yours has this id"


class IdentityClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def get_tenant(self, tenant_id: uuid.UUID, token: str) -> dict[str, Any] | None:
        """The tenant as identity shows it to this caller; None when it does not."""
        try:
            resp = await self._http.get(
                f"/tenants/{tenant_id}", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"Identity could not be reached: {exc}") from None
        if resp.status_code == 200:
            body = resp.json()
            return body if isinstance(body, dict) else None
        if resp.status_code in (403, 404):
            return None
        raise IdentityUnavailable(f"Identity answered {resp.status_code}")


class ClientTenants:
    """Checks, for one request, that a tenant id names a client tenant of the caller's."""

    def __init__(self, client: IdentityClient, principal_tenant: uuid.UUID, token: str) -> None:
        self._client = client
        self._tenant = principal_tenant
        self._token = token
        self._known: set[uuid.UUID] = set()

    async def require(self, tenant_id: uuid.UUID | None) -> None:
        """None passes; else a direct child of the caller's tenant, or 422."""
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


def client_tenants(request: Request, principal: CurrentPrincipal) -> ClientTenants:
    token = bearer_token(request.headers.get("authorization"))
    return ClientTenants(request.app.state.identity, principal.tenant_id, token)


ClientTenantsDep = Annotated[ClientTenants, Depends(client_tenants)]


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    client = IdentityClient(settings.identity_url, timeout=settings.identity_timeout_seconds)
    app.state.identity = client
    try:
        yield
    finally:
        await client.close()
