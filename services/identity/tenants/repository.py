from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Tenant


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def get_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()


async def get_by_external_id(session: AsyncSession, external_id: str) -> Tenant | None:
    stmt = select(Tenant).where(Tenant.external_customer_id == external_id)
    return (await session.scalars(stmt)).first()


def children_stmt(parent_id: uuid.UUID, slug: str | None = None) -> Select[Tenant]:
    stmt = select(Tenant).where(Tenant.parent_id == parent_id)
    if slug:
        stmt = stmt.where(Tenant.slug == slug)
    return stmt
