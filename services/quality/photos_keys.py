"""Object keys of a lot's processed photos (what a passport page shows)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.quality.models import Photo


async def photo_keys_for_lot(session: AsyncSession, lot_id: uuid.UUID, limit: int) -> list[str]:
    rows = await session.scalars(
        select(Photo.thumb_key)
        .where(Photo.lot_id == lot_id, Photo.status == "processed", Photo.thumb_key.is_not(None))
        .order_by(Photo.id)
        .limit(limit)
    )
    return [k for k in rows.all() if k]
