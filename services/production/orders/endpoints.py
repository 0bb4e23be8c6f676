from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import PreconditionFailed
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.production.access import (
    ORDER_WRITE_SPACES,
    CallerToken,
    Identity,
    PlantNotPermitted,
    allow,
    customer_reader,
    errors,
    provider,
)
from services.production.orders import service
from services.production.orders.errors import (
    InsufficientStock,
    InvalidOrderTransition,
    OrderClosed,
    OrderNotFound,
    OrderNumberTaken,
    VersionNotReleased,
)
from services.production.orders.schemas import (
    Allocation,
    Order,
    OrderCancel,
    OrderCreate,
    OrderFilters,
    OrderStatus,
    OrderTransition,
    OrderUpdate,
)
from services.production.tenants.service import UnknownCustomer

router = APIRouter(prefix="/orders", tags=["orders"])

Reader = Annotated[Principal, customer_reader("orders:read")]
Writer = Annotated[Principal, provider("orders:write")]
Creator = Annotated[Principal, allow(*ORDER_WRITE_SPACES, perm="orders:write")]
TRANSITION_ERRORS = (
    OrderNotFound,
    PlantNotPermitted,
    InvalidOrderTransition,
    InsufficientStock,
    PreconditionFailed,
)


@router.get("", response_model=Page[Order], responses=errors(400))
async def list_orders(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    plant_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    customer_tenant_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
) -> Page[Order]:
    """The provider's orders (at the plants the caller may read), or, for a brand (CLIENT
    space), the orders made for it."""
    filters = OrderFilters(
        status=status,
        plant_id=plant_id,
        product_id=product_id,
        customer_tenant_id=customer_tenant_id,
        created_from=created_from,
        created_to=created_to,
        due_from=due_from,
        due_to=due_to,
    )
    rows, cursor = await service.list_orders(session, principal, page, filters)
    return Page[Order](items=[Order.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=Order,
    responses=errors(PlantNotPermitted, OrderNumberTaken, UnknownCustomer, VersionNotReleased, 404),
)
async def create_order(
    body: OrderCreate,
    session: TenantSession,
    response: Response,
    principal: Creator,
    identity: Identity,
    token: CallerToken,
) -> Order:
    """A customer order for one of the caller's client tenants (`customer_tenant_id`,
    422 `unknown_customer` otherwise). Open to API clients with `orders:write`."""
    order = await service.create_order(session, principal, body, identity=identity, token=token)
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.get("/{order_id}", response_model=Order, responses=errors(OrderNotFound, PlantNotPermitted))
async def get_order(
    order_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Order:
    order = await service.get_order(session, principal, order_id)
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.patch(
    "/{order_id}",
    response_model=Order,
    responses=errors(OrderNotFound, PlantNotPermitted, OrderClosed, PreconditionFailed),
)
async def update_order(
    order_id: uuid.UUID,
    body: OrderUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> Order:
    order = await service.get_order(session, principal, order_id, perm="orders:write")
    check_if_match(request, order.version)
    order = await service.update_order(session, order, body)
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.post("/{order_id}/status", response_model=Order, responses=errors(*TRANSITION_ERRORS))
async def transition_order(
    order_id: uuid.UUID,
    body: OrderTransition,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> Order:
    """pending -> allocated -> production -> qa -> packing -> done, or cancelled from
    pending, allocated or production. Anything else is 409 `invalid_transition`.
    Going to `allocated` reserves the stock (409 `insufficient_stock` with the shortages)
    and needs `allocations:write`; `cancelled` releases it; `qa` consumes it."""
    order = await service.get_order(
        session, principal, order_id, perm="orders:write", for_update=True
    )
    check_if_match(request, order.version)
    order = await service.transition(session, principal, order, body.to, reason=body.reason)
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.post("/{order_id}/allocate", response_model=Order, responses=errors(*TRANSITION_ERRORS))
async def allocate_order(
    order_id: uuid.UUID,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider("allocations:write")],
) -> Order:
    """Reserve every component of the exploded BOM at the order's plant, all or nothing.
    Refused with 409 `insufficient_stock` and `shortages`
    [{item_id, sku, required, available, short}]."""
    order = await service.get_order(
        session, principal, order_id, perm="allocations:write", for_update=True
    )
    check_if_match(request, order.version)
    order = await service.transition(session, principal, order, "allocated")
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.post("/{order_id}/cancel", response_model=Order, responses=errors(*TRANSITION_ERRORS))
async def cancel_order(
    order_id: uuid.UUID,
    body: OrderCancel,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> Order:
    """Cancel (from pending, allocated or production); reserved stock is released."""
    order = await service.get_order(
        session, principal, order_id, perm="orders:write", for_update=True
    )
    check_if_match(request, order.version)
    order = await service.transition(session, principal, order, "cancelled", reason=body.reason)
    set_etag(response, order.version)
    return Order.model_validate(order)


@router.get(
    "/{order_id}/allocations",
    response_model=list[Allocation],
    responses=errors(OrderNotFound, PlantNotPermitted),
)
async def list_order_allocations(
    order_id: uuid.UUID,
    session: TenantSession,
    principal: Annotated[Principal, allow(*ORDER_WRITE_SPACES, perm="orders:read")],
) -> list[Allocation]:
    """What the order holds or held, one row per item (bounded by the BOM's size)."""
    rows = await service.list_allocations(session, principal, order_id)
    return [Allocation.model_validate(a) for a in rows]
