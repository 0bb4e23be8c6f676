from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.quality.access import visible
from services.quality.models import Photo


def list_query(principal: Principal, inspection_id: uuid.UUID) -> Select[Any]:
    return select(Photo).where(
        Photo.inspection_id == inspection_id, visible(Photo, principal, "inspections:read")
    )


async def get(
    session: AsyncSession, principal: Principal, photo_id: uuid.UUID, *, for_update: bool = False
) -> Photo | None:
    stmt = select(Photo).where(Photo.id == photo_id, visible(Photo, principal, "inspections:read"))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()
