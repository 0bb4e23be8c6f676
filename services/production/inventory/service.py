from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import flush_or_conflict
from libs.common.pagination import PageParams
from services.production.access import plant_scope, require_plant
from services.production.inventory import repository as repo
from services.production.inventory.errors import ItemNotFound, SkuTaken
from services.production.inventory.ledger import apply_movements, move
from services.production.inventory.schemas import (
    InventoryItemCreate,
    InventoryItemUpdate,
    ItemFilters,
    MovementCreate,
)
from services.production.models import InventoryItem, LedgerEntry
from services.production.plants.service import resolve_plant


async def list_items(
    session: AsyncSession, principal: Principal, page: PageParams, filters: ItemFilters
) -> tuple[list[InventoryItem], str | None]:
    return await repo.list_page(
        session,
        principal.tenant_id,
        page,
        plants=plant_scope(principal, "inventory:read"),
        plant_id=filters.plant_id,
        sku=filters.sku,
        below_reorder_level=filters.below_reorder_level,
    )


async def create_item(
    session: AsyncSession, principal: Principal, body: InventoryItemCreate
) -> InventoryItem:
    tenant_id = principal.tenant_id
    plant = await resolve_plant(session, tenant_id, body.plant_id)
    require_plant(principal, "inventory:write", plant.id)
    data = body.model_dump(exclude={"plant_id", "initial_quantity"})
    item = InventoryItem(tenant_id=tenant_id, plant_id=plant.id, **data)
    session.add(item)
    await flush_or_conflict(
        session,
        {
            "uq_inventory_items_tenant_id_plant_id_sku": SkuTaken(
                f"SKU {body.sku!r} is stocked at this plant already", extra={"field": "sku"}
            )
        },
    )
    if body.initial_quantity > 0:
        await apply_movements(
            session,
            tenant_id,
            [move(item.id, "receipt", body.initial_quantity, note="initial stock")],
            actor=principal.subject,
        )
        return await get_item(session, principal, item.id, perm=None, fresh=True)
    return item


async def get_item(
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    *,
    perm: str | None = "inventory:read",
    fresh: bool = False,
) -> InventoryItem:
    item = await repo.get(session, principal.tenant_id, item_id, fresh=fresh)
    if item is None:
        raise ItemNotFound("Inventory item not found")
    if perm is not None:
        require_plant(principal, perm, item.plant_id)
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
    principal: Principal,
    item: InventoryItem,
    body: MovementCreate,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """One movement under the item's row lock; `expected_version` (from If-Match) must
    still be the item's version once the lock is held."""
    rows = await apply_movements(
        session,
        principal.tenant_id,
        [move(item.id, body.kind, body.quantity, reference=body.reference, note=body.note)],
        actor=principal.subject,
        expected_version=expected_version,
    )
    return rows[0]


async def list_ledger(
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    page: PageParams,
    kind: str | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    item = await get_item(session, principal, item_id)
    return await repo.ledger_page(session, principal.tenant_id, item.id, page, kind=kind)
