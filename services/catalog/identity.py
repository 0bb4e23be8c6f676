"""Client tenants, asked of identity through the kit's client with the caller's own token:
identity shows a provider its direct child tenants only (404 otherwise). Catalog keeps no
copy of the tenant tree; it asks here whenever it writes an organisation's client tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from libs.common.deps import CurrentPrincipal
from libs.common.errors import Unprocessable
from libs.common.identity import CallerToken, IdentityClient, IdentityDep
from libs.common.identity import IdentityUnavailable as IdentityUnavailable
from libs.common.identity import identity_lifespan as identity_lifespan


class UnknownClientTenant(Unprocessable):
    code = "unknown_client_tenant"
    title = "No client tenant of yours has this id"


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


def client_tenants(
    identity: IdentityDep, token: CallerToken, principal: CurrentPrincipal
) -> ClientTenants:
    return ClientTenants(identity, principal.tenant_id, token)


ClientTenantsDep = Annotated[ClientTenants, Depends(client_tenants)]
