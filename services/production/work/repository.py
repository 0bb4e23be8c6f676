from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.production.models import (
    LabourClockWrite,
    LabourEntry,
    Order,
    ProductionOrder,
    StageExecution,
)


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
    session: AsyncSession, stage_id: uuid.UUID, operator: str, *, for_update: bool = False
) -> LabourEntry | None:
    stmt = select(LabourEntry).where(
        LabourEntry.stage_execution_id == stage_id,
        LabourEntry.operator == operator,
        LabourEntry.ended_at.is_(None),
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def last_closed_entry(
    session: AsyncSession, stage_id: uuid.UUID, operator: str, *, before: datetime
) -> LabourEntry | None:
    """The latest closed entry begun at or before `before` (a late clock-out's entry)."""
    return await session.scalar(
        select(LabourEntry)
        .where(
            LabourEntry.stage_execution_id == stage_id,
            LabourEntry.operator == operator,
            LabourEntry.ended_at.is_not(None),
            LabourEntry.started_at <= before,
        )
        .order_by(LabourEntry.started_at.desc(), LabourEntry.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def supersede_writes(session: AsyncSession, entry_id: uuid.UUID, kind: str) -> None:
    await session.execute(
        update(LabourClockWrite)
        .where(
            LabourClockWrite.labour_entry_id == entry_id,
            LabourClockWrite.kind == kind,
            LabourClockWrite.outcome == "applied",
        )
        .values(outcome="superseded")
    )


async def clock_writes_page(
    session: AsyncSession, po_id: uuid.UUID, page: PageParams
) -> tuple[list[LabourClockWrite], str | None]:
    stmt = select(LabourClockWrite).where(LabourClockWrite.production_order_id == po_id)
    return await paginate(session, stmt, page, keys=[LabourClockWrite.id])


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


async def assignment_rows(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    operator: str,
    *,
    due_by: date,
    plants: Collection[uuid.UUID] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Stages assigned to `operator` whose order is due by `due_by`, in change order
    (updated_at, id); from the start only the open ones, after a cursor every change."""
    stmt = (
        select(StageExecution, ProductionOrder.plant_id, Order.number, Order.due_date)
        .join(ProductionOrder, ProductionOrder.id == StageExecution.production_order_id)
        .join(Order, Order.id == ProductionOrder.order_id)
        .where(
            StageExecution.tenant_id == tenant_id,
            StageExecution.assigned_to == operator,
            Order.due_date <= due_by,
        )
    )
    if plants is not None:
        stmt = stmt.where(ProductionOrder.plant_id.in_(plants))
    if after is None:
        stmt = stmt.where(StageExecution.status != "completed")
    else:
        stmt = stmt.where(tuple_(StageExecution.updated_at, StageExecution.id) > tuple_(*after))
    stmt = stmt.order_by(StageExecution.updated_at, StageExecution.id).limit(limit)
    return list((await session.execute(stmt)).all())
