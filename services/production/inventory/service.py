from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound
from services.production.inventory import repository as repo
from services.production.inventory.ledger import apply_movements, move
from services.production.inventory.schemas import (
    InventoryItemCreate,
    InventoryItemUpdate,
    MovementCreate,
)
from services.production.models import InventoryItem
from services.production.plants.service import resolve_plant


async def create_item(
    session: AsyncSession, tenant_id: uuid.UUID, body: InventoryItemCreate, *, actor: str
) -> InventoryItem:
    plant = await resolve_plant(session, tenant_id, body.plant_id)
    data = body.model_dump(exclude={"plant_id", "initial_quantity"})
    item = InventoryItem(tenant_id=tenant_id, plant_id=plant.id, **data)
    session.add(item)
    await session.flush()
    if body.initial_quantity > 0:
        await apply_movements(
            session,
            tenant_id,
            [move(item.id, "receipt", body.initial_quantity, note="initial stock")],
            actor=actor,
        )
        return await get_item(session, tenant_id, item.id, fresh=True)
    return item


async def get_item(
    session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID, *, fresh: bool = False
) -> InventoryItem:
    item = await repo.get(session, tenant_id, item_id, fresh=fresh)
    if item is None:
        raise NotFound("Inventory item not found", code="item_not_found")
    return item


async def update_item(
    session: AsyncSession, item: InventoryItem, body: InventoryItemUpdate
) -> InventoryItem:
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None or field == "location":
            setattr(item, field, value)
    await session.flush()
    await session.refresh(item)
    return item


async def record_movement(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    body: MovementCreate,
    *,
    actor: str,
    expected_version: int | None = None,
) -> dict[str, Any]:
    rows = await apply_movements(
        session,
        tenant_id,
        [move(item_id, body.kind, body.quantity, reference=body.reference, note=body.note)],
        actor=actor,
        expected_version=expected_version,
    )
    return rows[0]
