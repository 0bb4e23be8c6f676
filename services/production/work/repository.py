from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.production.models import LabourEntry, ProductionOrder, StageExecution


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    plants: Collection[uuid.UUID] | None = None,
    status: str | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> tuple[list[ProductionOrder], str | None]:
    stmt = list_stmt(tenant_id, status=status, plant_id=plant_id, order_id=order_id)
    if plants is not None:
        stmt = stmt.where(ProductionOrder.plant_id.in_(plants))
    return await paginate(session, stmt, page, keys=[ProductionOrder.id])


def list_stmt(
    tenant_id: uuid.UUID,
    *,
    status: str | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> Select[ProductionOrder]:
    stmt = select(ProductionOrder).where(ProductionOrder.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(ProductionOrder.status == status)
    if plant_id:
        stmt = stmt.where(ProductionOrder.plant_id == plant_id)
    if order_id:
        stmt = stmt.where(ProductionOrder.order_id == order_id)
    return stmt


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, po_id: uuid.UUID, *, for_update: bool = False
) -> ProductionOrder | None:
    stmt = select(ProductionOrder).where(
        ProductionOrder.tenant_id == tenant_id, ProductionOrder.id == po_id
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def stages(session: AsyncSession, po_ids: list[uuid.UUID]) -> list[StageExecution]:
    if not po_ids:
        return []
    rows = await session.scalars(
        select(StageExecution)
        .where(StageExecution.production_order_id.in_(po_ids))
        .order_by(StageExecution.production_order_id, StageExecution.seq)
    )
    return list(rows)


async def open_entry(
    session: AsyncSession, stage_id: uuid.UUID, operator: str
) -> LabourEntry | None:
    return await session.scalar(
        select(LabourEntry).where(
            LabourEntry.stage_execution_id == stage_id,
            LabourEntry.operator == operator,
            LabourEntry.ended_at.is_(None),
        )
    )


async def open_entries(session: AsyncSession, stage_id: uuid.UUID) -> list[LabourEntry]:
    rows = await session.scalars(
        select(LabourEntry).where(
            LabourEntry.stage_execution_id == stage_id, LabourEntry.ended_at.is_(None)
        )
    )
    return list(rows)


async def labour_rows(session: AsyncSession, po_id: uuid.UUID, now: datetime) -> list[Any]:
    minutes = (
        func.extract("epoch", func.coalesce(LabourEntry.ended_at, now) - LabourEntry.started_at)
        / 60
    )
    rows = await session.execute(
        select(
            LabourEntry.stage_execution_id,
            StageExecution.name,
            LabourEntry.operator,
            func.sum(minutes).label("minutes"),
            func.count().filter(LabourEntry.ended_at.is_(None)).label("open"),
        )
        .join(StageExecution, StageExecution.id == LabourEntry.stage_execution_id)
        .where(LabourEntry.production_order_id == po_id)
        .group_by(LabourEntry.stage_execution_id, StageExecution.name, LabourEntry.operator)
    )
    return list(rows)
