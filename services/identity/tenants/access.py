"""Which tenant a call acts on: the caller's own, or one of its client tenants."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.identity.models import Tenant
from services.identity.tenants import repository as repo
from services.identity.tenants.errors import TenantNotFound


async def caller_tenant(session: AsyncSession, principal: Principal) -> Tenant:
    tenant = await repo.get(session, principal.tenant_id)
    if tenant is None:
        raise TenantNotFound("Your tenant no longer exists")
    return tenant


async def target_tenant(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID | None
) -> Tenant:
    """The caller's own tenant (when `tenant_id` is None or its own), or one of its client
    tenants; 404 for anything else."""
    tenant = await repo.get(session, tenant_id or principal.tenant_id)
    if tenant is None or not acts_on(principal, tenant.id, tenant.parent_id):
        raise TenantNotFound("Tenant not found")
    return tenant


def acts_on(principal: Principal, tenant_id: uuid.UUID, parent_id: uuid.UUID | None) -> bool:
    """The caller may act on this tenant: its own, or one of its client tenants."""
    return tenant_id == principal.tenant_id or parent_id == principal.tenant_id
