from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.production.models import InventoryItem, LedgerEntry


def list_stmt(
    tenant_id: uuid.UUID,
    *,
    plant_id: uuid.UUID | None = None,
    sku: str | None = None,
    below_reorder_level: bool | None = None,
) -> Select[InventoryItem]:
    stmt = select(InventoryItem).where(InventoryItem.tenant_id == tenant_id)
    if plant_id:
        stmt = stmt.where(InventoryItem.plant_id == plant_id)
    if sku:
        stmt = stmt.where(InventoryItem.sku == sku)
    if below_reorder_level:
        stmt = stmt.where(
            InventoryItem.reorder_level > 0,
            InventoryItem.on_hand - InventoryItem.allocated < InventoryItem.reorder_level,
        )
    return stmt


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    plants: Collection[uuid.UUID] | None = None,
    plant_id: uuid.UUID | None = None,
    sku: str | None = None,
    below_reorder_level: bool | None = None,
) -> tuple[list[InventoryItem], str | None]:
    stmt = list_stmt(tenant_id, plant_id=plant_id, sku=sku, below_reorder_level=below_reorder_level)
    if plants is not None:
        stmt = stmt.where(InventoryItem.plant_id.in_(plants))
    return await paginate(session, stmt, page, keys=[InventoryItem.id])


async def ledger_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    page: PageParams,
    *,
    kind: str | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    stmt = ledger_stmt(tenant_id, item_id)
    if kind:
        stmt = stmt.where(LedgerEntry.kind == kind)
    return await paginate(session, stmt, page, keys=[LedgerEntry.id])


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID, *, fresh: bool = False
) -> InventoryItem | None:
    stmt = select(InventoryItem).where(
        InventoryItem.tenant_id == tenant_id, InventoryItem.id == item_id
    )
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def by_skus(
    session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID, skus: list[str]
) -> dict[str, InventoryItem]:
    rows = await session.scalars(
        select(InventoryItem).where(
            InventoryItem.tenant_id == tenant_id,
            InventoryItem.plant_id == plant_id,
            InventoryItem.sku.in_(skus),
        )
    )
    return {r.sku: r for r in rows}


def ledger_stmt(tenant_id: uuid.UUID, item_id: uuid.UUID) -> Select[LedgerEntry]:
    return select(LedgerEntry).where(
        LedgerEntry.tenant_id == tenant_id, LedgerEntry.item_id == item_id
    )


async def item_ids_by_sku(
    session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID, skus: list[str]
) -> dict[str, uuid.UUID]:
    rows = await session.execute(
        select(InventoryItem.sku, InventoryItem.id).where(
            InventoryItem.tenant_id == tenant_id,
            InventoryItem.plant_id == plant_id,
            InventoryItem.sku.in_(skus),
        )
    )
    return {r.sku: r.id for r in rows}


class Stocked(NamedTuple):
    """An item as allocation needs it: its id, SKU, stock unit and name."""

    id: uuid.UUID
    sku: str
    unit: str
    name: str


async def stocked_by_sku(
    session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID, skus: list[str]
) -> dict[str, Stocked]:
    """SKU -> the item stocking it at one plant."""
    rows = await session.execute(
        select(InventoryItem.sku, InventoryItem.id, InventoryItem.unit, InventoryItem.name).where(
            InventoryItem.tenant_id == tenant_id,
            InventoryItem.plant_id == plant_id,
            InventoryItem.sku.in_(skus),
        )
    )
    return {r.sku: Stocked(r.id, r.sku, r.unit, r.name) for r in rows}


async def stock_units(
    session: AsyncSession, tenant_id: uuid.UUID, skus: list[str]
) -> dict[str, set[str]]:
    """SKU -> every unit it is stocked in, across the tenant's plants."""
    rows = await session.execute(
        select(InventoryItem.sku, InventoryItem.unit)
        .where(InventoryItem.tenant_id == tenant_id, InventoryItem.sku.in_(skus))
        .distinct()
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r.sku, set()).add(r.unit)
    return out
