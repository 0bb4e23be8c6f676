from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.production.models import InventoryItem, MrpRun, Order

OPEN = ("pending", "allocated")


async def items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    plant_id: uuid.UUID | None,
    plants: Collection[uuid.UUID] | None,
) -> list[Any]:
    stmt = select(
        InventoryItem.id,
        InventoryItem.plant_id,
        InventoryItem.sku,
        InventoryItem.name,
        InventoryItem.unit,
        InventoryItem.on_hand,
        InventoryItem.allocated,
        InventoryItem.reorder_level,
        InventoryItem.reorder_quantity,
    ).where(InventoryItem.tenant_id == tenant_id)
    if plant_id is not None:
        stmt = stmt.where(InventoryItem.plant_id == plant_id)
    if plants is not None:
        stmt = stmt.where(InventoryItem.plant_id.in_(plants))
    return list((await session.execute(stmt)).all())


async def open_orders(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    plant_id: uuid.UUID | None,
    plants: Collection[uuid.UUID] | None,
) -> list[Any]:
    """Open orders, earliest due first (they get the stock first)."""
    stmt = (
        select(Order.id, Order.plant_id, Order.product_version_id, Order.quantity, Order.status)
        .where(Order.tenant_id == tenant_id, Order.status.in_(OPEN))
        .order_by(Order.due_date, Order.id)
    )
    if plant_id is not None:
        stmt = stmt.where(Order.plant_id == plant_id)
    if plants is not None:
        stmt = stmt.where(Order.plant_id.in_(plants))
    return list((await session.execute(stmt)).all())


async def add_run(session: AsyncSession, run: MrpRun) -> MrpRun:
    session.add(run)
    await session.flush()
    return run


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> MrpRun | None:
    return await session.scalar(
        select(MrpRun).where(MrpRun.tenant_id == tenant_id, MrpRun.id == run_id)
    )
