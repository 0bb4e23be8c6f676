from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import ApiClient


async def get(session: AsyncSession, tenant_id: uuid.UUID, id_: uuid.UUID) -> ApiClient | None:
    stmt = select(ApiClient).where(ApiClient.id == id_, ApiClient.tenant_id == tenant_id)
    return (await session.scalars(stmt)).first()


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[ApiClient], str | None]:
    stmt = select(ApiClient).where(ApiClient.tenant_id == tenant_id)
    rows, cursor = await paginate(session, stmt, page, keys=[ApiClient.id])
    return list(rows), cursor


async def add(session: AsyncSession, client: ApiClient) -> ApiClient:
    session.add(client)
    await session.flush()
    return client
