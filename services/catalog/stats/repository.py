from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Equipment, Sku, Ticket


def ticket_filter(
    tenant_id: uuid.UUID,
    *,
    manufacturer: uuid.UUID | None = None,
    owner: uuid.UUID | None = None,
    responsible: Sequence[uuid.UUID] | None = None,
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Ticket.tenant_id == tenant_id]
    if manufacturer is not None or owner is not None:
        eq = select(Equipment.id).where(Equipment.tenant_id == tenant_id)
        if manufacturer is not None:
            eq = eq.where(Equipment.manufacturer_org_id == manufacturer)
        if owner is not None:
            eq = eq.where(Equipment.owner_org_id == owner)
        conds.append(Ticket.equipment_id.in_(eq))
    if responsible is not None:
        conds.append(Ticket.responsible_org_id.in_(list(responsible)))
    return conds


async def ticket_counts(session: AsyncSession, conds: list[ColumnElement[bool]]) -> dict[str, Any]:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Ticket.status.in_(("open", "acknowledged"))),
                func.count().filter(Ticket.status.in_(("resolved", "closed"))),
                func.count().filter(Ticket.breached.is_(True)),
                func.count().filter(Ticket.level > 0),
                func.count().filter(Ticket.level == 0, Ticket.breached.is_(False)),
            ).where(*conds)
        )
    ).one()
    return dict(
        zip(("total", "backlog", "resolved", "breached", "escalated", "met"), row, strict=True)
    )


async def ticket_groups(
    session: AsyncSession, conds: list[ColumnElement[bool]], column: Any, limit: int = 50
) -> list[tuple[Any, int]]:
    rows = await session.execute(
        select(column, func.count())
        .where(*conds)
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(limit)
    )
    return [(r[0], int(r[1])) for r in rows]


async def active_skus(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(Sku.tenant_id == tenant_id, Sku.status == "active")
        )
        or 0
    )
