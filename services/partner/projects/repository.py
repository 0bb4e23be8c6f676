from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Project


def query(
    principal: Principal, kind: str | None = None, partner_id: uuid.UUID | None = None
) -> Select[Any]:
    stmt = select(Project).where(visible(principal, Project.tenant_id, Project.customer_tenant_id))
    if kind:
        stmt = stmt.where(Project.kind == kind)
    if partner_id:
        stmt = stmt.where(Project.partner_id == partner_id)
    return stmt


async def get(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> Project | None:
    return (await session.scalars(query(principal).where(Project.id == project_id))).one_or_none()
