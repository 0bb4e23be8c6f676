from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import CatalogOrgLink


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> CatalogOrgLink | None:
    return await session.scalar(
        select(CatalogOrgLink).where(CatalogOrgLink.tenant_id == tenant_id).with_for_update()
    )


async def active_org(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    row = await session.scalar(
        select(CatalogOrgLink).where(
            CatalogOrgLink.tenant_id == tenant_id, CatalogOrgLink.active.is_(True)
        )
    )
    return (row.org_id, row.org_type) if row is not None else None
