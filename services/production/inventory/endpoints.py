from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import PreconditionFailed
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.production.access import PlantNotPermitted, errors, provider, reader
from services.production.inventory import service
from services.production.inventory.errors import InsufficientStock, ItemNotFound, SkuTaken
from services.production.inventory.schemas import (
    InventoryItem,
    InventoryItemCreate,
    InventoryItemUpdate,
    ItemFilters,
    LedgerEntry,
    MovementCreate,
)
from services.production.plants.errors import PlantNotFound

router = APIRouter(prefix="/inventory", tags=["inventory"])

Reader = Annotated[Principal, reader("inventory:read")]
Writer = Annotated[Principal, provider("inventory:write")]


@router.get("/items", response_model=Page[InventoryItem], responses=errors(400))
async def list_inventory_items(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    plant_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    below_reorder_level: bool | None = None,
) -> Page[InventoryItem]:
    """Stock at the plants the caller may read."""
    filters = ItemFilters(plant_id=plant_id, sku=sku, below_reorder_level=below_reorder_level)
    rows, cursor = await service.list_items(session, principal, page, filters)
    return Page[InventoryItem](
        items=[InventoryItem.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "/items",
    status_code=201,
    response_model=InventoryItem,
    responses=errors(PlantNotFound, PlantNotPermitted, SkuTaken),
)
async def create_inventory_item(
    body: InventoryItemCreate, session: TenantSession, response: Response, principal: Writer
) -> InventoryItem:
    item = await service.create_item(session, principal, body)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.get(
    "/items/{item_id}",
    response_model=InventoryItem,
    responses=errors(ItemNotFound, PlantNotPermitted),
)
async def get_inventory_item(
    item_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> InventoryItem:
    item = await service.get_item(session, principal, item_id)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.patch(
    "/items/{item_id}",
    response_model=InventoryItem,
    responses=errors(ItemNotFound, PlantNotPermitted, PreconditionFailed),
)
async def update_inventory_item(
    item_id: uuid.UUID,
    body: InventoryItemUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> InventoryItem:
    """Master data only; stock figures change through movements."""
    item = await service.get_item(session, principal, item_id, perm="inventory:write")
    check_if_match(request, item.version)
    item = await service.update_item(session, item, body)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.post(
    "/items/{item_id}/movements",
    status_code=201,
    response_model=LedgerEntry,
    responses=errors(ItemNotFound, PlantNotPermitted, InsufficientStock, PreconditionFailed),
)
async def record_inventory_movement(
    item_id: uuid.UUID,
    body: MovementCreate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> LedgerEntry:
    """A receipt, issue, adjustment or return: one ledger row, the item's figures updated
    under a row lock. An issue or a negative adjustment larger than what is available
    (on hand minus allocated) is refused with 409 `insufficient_stock`."""
    item = await service.get_item(session, principal, item_id, perm="inventory:write")
    check_if_match(request, item.version)
    row = await service.record_movement(
        session,
        principal,
        item,
        body,
        expected_version=(
            item.version if request.headers.get("if-match", "*").strip() != "*" else None
        ),
    )
    item = await service.get_item(session, principal, item_id, perm=None, fresh=True)
    set_etag(response, item.version)
    return LedgerEntry.model_validate(row)


@router.get(
    "/items/{item_id}/ledger",
    response_model=Page[LedgerEntry],
    responses=errors(ItemNotFound, PlantNotPermitted),
)
async def list_inventory_ledger(
    item_id: uuid.UUID,
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[LedgerEntry]:
    rows, cursor = await service.list_ledger(session, principal, item_id, page, kind=kind)
    return Page[LedgerEntry](
        items=[LedgerEntry.model_validate(r) for r in rows], next_cursor=cursor
    )
