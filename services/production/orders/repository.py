from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.pagination import PageParams, paginate
from libs.common.visibility import visible
from services.production.models import Order, OrderAllocation


def readable(principal: Principal) -> Select[Order]:
    """Orders a principal may read: its own tenant's, or (a brand) those its provider made
    for it."""
    return select(Order).where(visible(principal, Order.tenant_id, Order.customer_tenant_id))


async def list_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    plants: Collection[uuid.UUID] | None = None,
    status: list[str] | None = None,
    plant_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    customer_tenant_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
) -> tuple[list[Order], str | None]:
    stmt = readable(principal)
    if plants is not None:
        stmt = stmt.where(Order.plant_id.in_(plants))
    if status:
        stmt = stmt.where(Order.status.in_(status))
    if plant_id:
        stmt = stmt.where(Order.plant_id == plant_id)
    if product_id:
        stmt = stmt.where(Order.product_id == product_id)
    if customer_tenant_id:
        stmt = stmt.where(Order.customer_tenant_id == customer_tenant_id)
    if created_from:
        stmt = stmt.where(Order.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Order.created_at < created_to)
    if due_from:
        stmt = stmt.where(Order.due_date >= due_from)
    if due_to:
        stmt = stmt.where(Order.due_date <= due_to)
    return await paginate(session, stmt, page, keys=[Order.id])


async def get(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, for_update: bool = False
) -> Order | None:
    stmt = readable(principal).where(Order.id == order_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def active_allocations(session: AsyncSession, order_id: uuid.UUID) -> list[OrderAllocation]:
    rows = await session.scalars(
        select(OrderAllocation)
        .where(OrderAllocation.order_id == order_id, OrderAllocation.status == "active")
        .order_by(OrderAllocation.item_id)
    )
    return list(rows)


async def allocations(session: AsyncSession, order_id: uuid.UUID) -> list[OrderAllocation]:
    rows = await session.scalars(
        select(OrderAllocation)
        .where(OrderAllocation.order_id == order_id)
        .order_by(OrderAllocation.id)
    )
    return list(rows)


async def close_allocations(session: AsyncSession, order_id: uuid.UUID, status: str) -> None:
    await session.execute(
        update(OrderAllocation)
        .where(OrderAllocation.order_id == order_id, OrderAllocation.status == "active")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
