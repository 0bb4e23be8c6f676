from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.production.models import TenantCopy


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> TenantCopy | None:
    return await session.scalar(select(TenantCopy).where(TenantCopy.id == tenant_id))


async def upsert(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert or refresh the copy; an older identity version never replaces a newer one."""
    stmt = insert(TenantCopy).values(**row)
    excluded = stmt.excluded
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TenantCopy.id],
            set_={
                "parent_id": excluded.parent_id,
                "kind": excluded.kind,
                "name": excluded.name,
                "slug": excluded.slug,
                "status": excluded.status,
                "source_version": excluded.source_version,
                "updated_at": excluded.updated_at,
            },
            where=TenantCopy.source_version <= excluded.source_version,
        )
    )
