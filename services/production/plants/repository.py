from __future__ import annotations

import uuid

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.production.models import Plant


def list_stmt(tenant_id: uuid.UUID) -> Select[Plant]:
    return select(Plant).where(Plant.tenant_id == tenant_id)


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Plant], str | None]:
    return await paginate(session, list_stmt(tenant_id), page, keys=[Plant.id])


async def get(session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID) -> Plant | None:
    return await session.scalar(
        select(Plant).where(Plant.tenant_id == tenant_id, Plant.id == plant_id)
    )


async def get_default(session: AsyncSession, tenant_id: uuid.UUID) -> Plant | None:
    return await session.scalar(
        select(Plant)
        .where(Plant.tenant_id == tenant_id)
        .order_by(Plant.is_default.desc(), Plant.id)
        .limit(1)
    )


async def clear_default(session: AsyncSession, tenant_id: uuid.UUID, keep: uuid.UUID) -> None:
    await session.execute(
        update(Plant)
        .where(Plant.tenant_id == tenant_id, Plant.id != keep, Plant.is_default.is_(True))
        .values(is_default=False, version=Plant.version + 1)
        .execution_options(synchronize_session=False)
    )
