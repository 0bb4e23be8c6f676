from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import AuditEvent


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, action: str | None, page: PageParams
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    rows, cursor = await paginate(session, stmt, page, keys=[AuditEvent.id])
    return list(rows), cursor


def add(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
