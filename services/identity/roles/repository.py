from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import Role


async def get(session: AsyncSession, role_id: uuid.UUID) -> Role | None:
    return await session.get(Role, role_id)


async def exists(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> bool:
    stmt = select(Role.id).where(Role.tenant_id == tenant_id, Role.name == name)
    return (await session.scalar(stmt)) is not None


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Role], str | None]:
    stmt = select(Role).where(Role.tenant_id == tenant_id)
    rows, cursor = await paginate(session, stmt, page, keys=[Role.id])
    return list(rows), cursor


async def add(session: AsyncSession, role: Role) -> Role:
    session.add(role)
    await session.flush()
    return role
