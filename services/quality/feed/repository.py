from __future__ import annotations

import uuid

from sqlalchemy import select
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
