from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.quality.access import visible
from services.quality.models import FeedEntry, Lot


async def after(
    session: AsyncSession,
    principal: Principal,
    seq: int,
    limit: int,
    lot_id: uuid.UUID | None = None,
) -> list[FeedEntry]:
    stmt = select(FeedEntry).where(
        FeedEntry.seq > seq, visible(FeedEntry, principal, "inspections:read")
    )
    if lot_id:
        stmt = stmt.where(FeedEntry.lot_id == lot_id)
    return list((await session.scalars(stmt.order_by(FeedEntry.seq).limit(limit))).all())


async def lot_visible(session: AsyncSession, principal: Principal, lot_id: uuid.UUID) -> bool:
    stmt = select(Lot.id).where(Lot.id == lot_id, visible(Lot, principal, "inspections:read"))
    return (await session.scalars(stmt.limit(1))).first() is not None


async def tenant_after(
    session: AsyncSession, tenant_id: uuid.UUID, seq: int, limit: int
) -> list[FeedEntry]:
    """Every feed row of the tenant after `seq` (the hub's one read for all its streams)."""
    stmt = (
        select(FeedEntry)
        .where(FeedEntry.tenant_id == tenant_id, FeedEntry.seq > seq)
        .order_by(FeedEntry.seq)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def tenant_last_seq(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.max(FeedEntry.seq), 0)).where(FeedEntry.tenant_id == tenant_id)
    return int((await session.scalar(stmt)) or 0)
