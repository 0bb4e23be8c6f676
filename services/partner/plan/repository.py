from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Criterion, Evidence, Phase


async def phases(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> list[Phase]:
    stmt = (
        select(Phase)
        .where(visible(principal, Phase.tenant_id, Phase.customer_tenant_id))
        .where(Phase.project_id == project_id)
        .order_by(Phase.position)
    )
    return list((await session.scalars(stmt)).all())


async def criteria(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> list[Criterion]:
    stmt = (
        select(Criterion)
        .where(visible(principal, Criterion.tenant_id, Criterion.customer_tenant_id))
        .where(Criterion.project_id == project_id)
        .order_by(Criterion.created_at, Criterion.id)
    )
    return list((await session.scalars(stmt)).all())


async def phase_count(session: AsyncSession, project_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count()).where(Phase.project_id == project_id)) or 0
    )


async def next_position(session: AsyncSession, project_id: uuid.UUID) -> int:
    top = await session.scalar(
        select(func.max(Phase.position)).where(Phase.project_id == project_id)
    )
    return int(top or 0) + 1


async def criterion(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, criterion_id: uuid.UUID
) -> Criterion | None:
    stmt = select(Criterion).where(
        visible(principal, Criterion.tenant_id, Criterion.customer_tenant_id),
        Criterion.project_id == project_id,
        Criterion.id == criterion_id,
    )
    return (await session.scalars(stmt)).one_or_none()


def evidence_query(
    principal: Principal, project_id: uuid.UUID, criterion_id: uuid.UUID | None
) -> Select[Any]:
    stmt = select(Evidence).where(
        visible(principal, Evidence.tenant_id, Evidence.customer_tenant_id),
        Evidence.project_id == project_id,
    )
    if criterion_id:
        stmt = stmt.where(Evidence.criterion_id == criterion_id)
    return stmt


async def evidence(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    evidence_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Evidence | None:
    stmt = evidence_query(principal, project_id, None).where(Evidence.id == evidence_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()
