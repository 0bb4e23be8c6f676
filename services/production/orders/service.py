from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import flush_or_conflict
from libs.common.identity import IdentityClient
from libs.common.pagination import PageParams
from libs.common.visibility import is_customer
from services.production import events
from services.production.access import plant_scope, require_plant
from services.production.models import Order, OrderAllocation
from services.production.orders import allocation
from services.production.orders import repository as repo
from services.production.orders.errors import (
    InvalidOrderTransition,
    OrderClosed,
    OrderNotFound,
    OrderNumberTaken,
    VersionNotReleased,
)
from services.production.orders.schemas import OrderCreate, OrderFilters, OrderUpdate
from services.production.plants.service import resolve_plant
from services.production.products import repository as products_repo
from services.production.products.service import get_product, get_version
from services.production.tenants.service import client_of

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"allocated", "cancelled"}),
    "allocated": frozenset({"production", "cancelled"}),
    "production": frozenset({"qa", "cancelled"}),
    "qa": frozenset({"packing"}),
    "packing": frozenset({"done"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
PROGRESS = {"pending": 0, "allocated": 10, "production": 25, "qa": 75, "packing": 90, "done": 100}


def check_transition(current: str, to: str) -> None:
    if to not in TRANSITIONS[current]:
        raise InvalidOrderTransition(
            f"An order cannot go from {current} to {to}",
            extra={"from": current, "to": to, "allowed": sorted(TRANSITIONS[current])},
        )


async def list_orders(
    session: AsyncSession, principal: Principal, page: PageParams, filters: OrderFilters
) -> tuple[list[Order], str | None]:
    """The provider's orders at the plants the caller may read, or, for a brand, the orders
    its provider made for it."""
    return await repo.list_page(
        session,
        principal,
        page,
        plants=plant_scope(principal, "orders:read"),
        status=list(filters.status) if filters.status else None,
        plant_id=filters.plant_id,
        product_id=filters.product_id,
        customer_tenant_id=None if is_customer(principal) else filters.customer_tenant_id,
        created_from=filters.created_from,
        created_to=filters.created_to,
        due_from=filters.due_from,
        due_to=filters.due_to,
    )


async def get_order(
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    *,
    perm: str | None = "orders:read",
    for_update: bool = False,
) -> Order:
    """The order, when the caller may see it and holds `perm` at its plant (None: the
    caller checked a permission on a row of the order already)."""
    order = await repo.get(session, principal, order_id, for_update=for_update)
    if order is None:
        raise OrderNotFound("Order not found")
    if perm is not None:
        require_plant(principal, perm, order.plant_id)
    return order


async def list_allocations(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID
) -> list[OrderAllocation]:
    order = await get_order(session, principal, order_id)
    return await repo.allocations(session, order.id)


async def create_order(
    session: AsyncSession,
    principal: Principal,
    body: OrderCreate,
    *,
    identity: IdentityClient,
    token: str,
) -> Order:
    tenant_id = principal.tenant_id
    plant = await resolve_plant(session, tenant_id, body.plant_id)
    require_plant(principal, "orders:write", plant.id)
    if body.customer_tenant_id is not None:
        await client_of(session, principal, body.customer_tenant_id, identity=identity, token=token)
    product = await get_product(session, tenant_id, body.product_id)
    if body.product_version_id is not None:
        version = await get_version(session, tenant_id, product.id, body.product_version_id)
    else:
        latest = await products_repo.latest_version(session, tenant_id, product.id, released=True)
        if latest is None:
            raise VersionNotReleased("The product has no released version")
        version = latest
    if version.status != "released":
        raise VersionNotReleased("Orders are made of released product versions")
    order = Order(
        tenant_id=tenant_id,
        number=body.number,
        customer_tenant_id=body.customer_tenant_id,
        customer_name=body.customer_name,
        plant_id=plant.id,
        product_id=product.id,
        product_version_id=version.id,
        product_sku=product.sku,
        product_name=product.name,
        quantity=body.quantity,
        unit_price=body.unit_price,
        currency=body.currency,
        due_date=body.due_date,
        notes=body.notes,
        status="pending",
        progress=0,
        created_by=principal.subject,
    )
    session.add(order)
    await flush_or_conflict(
        session,
        {
            "uq_orders_tenant_id_number": OrderNumberTaken(
                f"Order number {body.number!r} is taken", extra={"field": "number"}
            )
        },
    )
    return order


async def update_order(session: AsyncSession, order: Order, body: OrderUpdate) -> Order:
    if order.status in ("done", "cancelled"):
        raise OrderClosed(f"A {order.status} order cannot change")
    for f, value in body.model_dump(exclude_unset=True).items():
        if value is not None or f != "due_date":
            setattr(order, f, value)
    await session.flush()
    await session.refresh(order)
    return order


async def transition(
    session: AsyncSession,
    principal: Principal,
    order: Order,
    to: str,
    *,
    reason: str | None = None,
) -> Order:
    """Move an order (whose row the caller locked) to `to`, with the stock side effects:
    allocated reserves, cancelled releases, qa consumes the reserved materials."""
    current = order.status
    check_transition(current, to)
    if to == "allocated":
        require_plant(principal, "allocations:write", order.plant_id)
    actor = principal.subject
    reservation = None
    if to == "allocated":
        reservation = await allocation.prepare(session, order, actor=actor)
    elif to == "cancelled":
        await allocation.release(session, order, actor=actor)
        order.cancel_reason = reason
    elif to == "qa":
        await allocation.consume(session, order, actor=actor)
    if to == "done":
        order.completed_at = datetime.now(UTC)
    order.status = to
    if to in PROGRESS:
        order.progress = max(order.progress, PROGRESS[to]) if to != "allocated" else PROGRESS[to]
    # every column the update sets is computed here (libs.common.models): no read-back
    await session.flush()
    await events.emit(
        session,
        events.OrderStatusChanged(
            order_id=order.id,
            number=order.number,
            from_status=current,
            to_status=to,
            plant_id=order.plant_id,
            product_id=order.product_id,
            quantity=order.quantity,
            progress=order.progress,
            reason=reason,
            actor=actor,
        ),
        tenant_id=order.tenant_id,
        subject=f"orders/{order.id}",
        customer_tenant_id=order.customer_tenant_id,
    )
    if reservation is not None:
        await events.emit(
            session,
            allocation.allocated_event(order, reservation),
            tenant_id=order.tenant_id,
            subject=f"orders/{order.id}",
            customer_tenant_id=order.customer_tenant_id,
        )
        # last, so the stock rows stay locked for one statement and the commit
        await allocation.reserve(session, reservation)
    return order


async def set_progress(session: AsyncSession, order: Order, progress: int) -> None:
    if order.status == "production" and progress > order.progress:
        order.progress = min(progress, PROGRESS["qa"] - 1)
        await session.flush()
