from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import Elevation


async def get(session: AsyncSession, tenant_id: uuid.UUID, id_: uuid.UUID) -> Elevation | None:
    stmt = (
        select(Elevation)
        .where(Elevation.id == id_, Elevation.tenant_id == tenant_id)
        .with_for_update()
    )
    return (await session.scalars(stmt)).first()


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    status: str | None,
    user_id: uuid.UUID | None,
) -> tuple[list[Elevation], str | None]:
    stmt = select(Elevation).where(Elevation.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Elevation.status == status)
    if user_id:
        stmt = stmt.where(Elevation.user_id == user_id)
    rows, cursor = await paginate(session, stmt, page, keys=[Elevation.id])
    return list(rows), cursor


async def add(session: AsyncSession, elevation: Elevation) -> Elevation:
    session.add(elevation)
    await session.flush()
    return elevation


async def expired_active(session: AsyncSession, now: datetime) -> list[Elevation]:
    """Active elevations past their end (a system transaction: every tenant), locked."""
    stmt = (
        select(Elevation)
        .where(Elevation.status == "active", Elevation.expires_at <= now)
        .order_by(Elevation.expires_at)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())
