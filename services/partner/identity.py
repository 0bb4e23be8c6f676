"""Identity over HTTP, with the caller's own bearer token (never a service credential):
identity shows a provider its direct client tenants only. Partner keeps no copy of the
tenant tree; it asks whenever the owner registers a partner's tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

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


class ClientTenants:
    """Checks, for one request, that a tenant id names a client tenant of the caller's."""

    def __init__(self, http: httpx.AsyncClient, principal_tenant: uuid.UUID, token: str) -> None:
        self._http = http
        self._tenant = principal_tenant
        self._token = token

    async def require(self, tenant_id: uuid.UUID) -> None:
        try:
            resp = await self._http.get(
                f"/tenants/{tenant_id}", headers={"Authorization": f"Bearer {self._token}"}
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"Identity could not be reached: {exc}") from None
        if resp.status_code >= 500:
            raise IdentityUnavailable(f"Identity answered {resp.status_code}")
        body = resp.json() if resp.status_code == 200 else {}
        if body.get("parent_id") != str(self._tenant) or body.get("kind") != "client":
            raise UnknownClientTenant(
                f"Tenant {tenant_id} is not a client tenant of yours",
                extra={"tenant_id": str(tenant_id)},
            )


def client_tenants(request: Request, principal: CurrentPrincipal) -> ClientTenants:
    token = bearer_token(request.headers.get("authorization"))
    return ClientTenants(request.app.state.identity_http, principal.tenant_id, token)


ClientTenantsDep = Annotated[ClientTenants, Depends(client_tenants)]


@asynccontextmanager
async def identity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    async with httpx.AsyncClient(
        base_url=settings.identity_url.rstrip("/"), timeout=settings.identity_timeout_seconds
    ) as http:
        app.state.identity_http = http
        yield
