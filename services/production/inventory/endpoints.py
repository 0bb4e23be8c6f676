from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.production.inventory import repository as repo
from services.production.inventory import service
from services.production.inventory.schemas import (
    InventoryItem,
    InventoryItemCreate,
    InventoryItemUpdate,
    LedgerEntry,
    MovementCreate,
)
from services.production.models import InventoryItem as ItemModel
from services.production.models import LedgerEntry as LedgerModel
from services.production.web import errors, if_match_version, provider

router = APIRouter(prefix="/inventory", tags=["inventory"])


@router.get("/items", response_model=Page[InventoryItem], responses=errors())
async def list_inventory_items(
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, provider("inventory:read")],
    plant_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    below_reorder_level: bool | None = None,
) -> Page[InventoryItem]:
    stmt = repo.list_stmt(
        principal.tenant_id, plant_id=plant_id, sku=sku, below_reorder_level=below_reorder_level
    )
    rows, cursor = await paginate(session, stmt, page, keys=[ItemModel.id])
    return Page[InventoryItem](
        items=[InventoryItem.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post("/items", status_code=201, response_model=InventoryItem, responses=errors(404, 409))
async def create_inventory_item(
    body: InventoryItemCreate,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("inventory:write")],
) -> InventoryItem:
    item = await service.create_item(session, principal.tenant_id, body, actor=principal.subject)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.get("/items/{item_id}", response_model=InventoryItem, responses=errors(404))
async def get_inventory_item(
    item_id: uuid.UUID,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("inventory:read")],
) -> InventoryItem:
    item = await service.get_item(session, principal.tenant_id, item_id)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.patch("/items/{item_id}", response_model=InventoryItem, responses=errors(404, 412))
async def update_inventory_item(
    item_id: uuid.UUID,
    body: InventoryItemUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider("inventory:write")],
) -> InventoryItem:
    """Master data only; stock figures change through movements."""
    item = await service.get_item(session, principal.tenant_id, item_id)
    check_if_match(request, item.version)
    item = await service.update_item(session, item, body)
    set_etag(response, item.version)
    return InventoryItem.model_validate(item)


@router.post(
    "/items/{item_id}/movements",
    status_code=201,
    response_model=LedgerEntry,
    responses=errors(404, 409, 412),
)
async def record_inventory_movement(
    item_id: uuid.UUID,
    body: MovementCreate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider("inventory:write")],
) -> LedgerEntry:
    """A receipt, issue, adjustment or return: one ledger row, the item's figures updated
    under a row lock. An issue or a negative adjustment larger than what is available
    (on hand minus allocated) is refused with 409 `insufficient_stock`."""
    row = await service.record_movement(
        session,
        principal.tenant_id,
        item_id,
        body,
        actor=principal.subject,
        expected_version=if_match_version(request.headers.get("if-match")),
    )
    item = await service.get_item(session, principal.tenant_id, item_id, fresh=True)
    set_etag(response, item.version)
    return LedgerEntry.model_validate(row)


@router.get("/items/{item_id}/ledger", response_model=Page[LedgerEntry], responses=errors(404))
async def list_inventory_ledger(
    item_id: uuid.UUID,
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, provider("inventory:read")],
    kind: str | None = None,
) -> Page[LedgerEntry]:
    await service.get_item(session, principal.tenant_id, item_id)
    stmt = repo.ledger_stmt(principal.tenant_id, item_id)
    if kind:
        stmt = stmt.where(LedgerModel.kind == kind)
    rows, cursor = await paginate(session, stmt, page, keys=[LedgerModel.id])
    return Page[LedgerEntry](
        items=[LedgerEntry.model_validate(r) for r in rows], next_cursor=cursor
    )
