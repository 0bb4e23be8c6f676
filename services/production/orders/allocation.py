"""Reserve, release and consume the stock an order needs.

Allocation explodes the order's multi-level BOM and reserves every component at the
order's plant, all or nothing, in one conditional statement issued last in the request
(`inventory.ledger.reserve`): item rows are locked in id order inside that statement, so
concurrent allocations queue on the rows they share for one statement and a commit, and
the later ones see what the earlier ones took. No two orders can reserve the same stock.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict
from libs.contracts.events.production import AllocatedComponent, OrderAllocated
from services.production.inventory import repository as inv_repo
from services.production.inventory.ledger import apply_movements, move
from services.production.inventory.ledger import reserve as reserve_stock
from services.production.models import Order
from services.production.models.base import QTY
from services.production.orders import repository as repo
from services.production.products.bom import load_graph
from services.production.units import convert


@dataclass(frozen=True, slots=True)
class Reservation:
    """What an order will reserve, per item, once everything else of the request is written."""

    tenant_id: uuid.UUID
    order_id: uuid.UUID
    needs: dict[uuid.UUID, Decimal]
    items: dict[uuid.UUID, inv_repo.Stocked]
    actor: str


async def prepare(session: AsyncSession, order: Order, *, actor: str) -> Reservation:
    """Explode the order's BOM into stock needs at its plant (converted to each item's
    stock unit): two reads, the BOM graph and the items. Nothing is written; `reserve`
    writes it all as the request's last statement. Caller holds the order row lock."""
    tenant_id = order.tenant_id
    graph = await load_graph(session, tenant_id, [order.product_version_id])
    wanted = graph.requirements(order.product_version_id, order.quantity)
    stocked = await inv_repo.stocked_by_sku(
        session, tenant_id, order.plant_id, list({sku for sku, _ in wanted})
    )
    # Every need in the unit its item is stocked in (50 cm of a foil stocked in m: 0.5 m).
    exact: dict[str, Decimal] = defaultdict(Decimal)
    for (sku, unit), qty in wanted.items():
        stock_unit = stocked[sku].unit if sku in stocked else None
        exact[sku] += convert(qty, unit, stock_unit, sku=sku)
    need = {sku: qty.quantize(QTY, rounding=ROUND_CEILING) for sku, qty in exact.items() if qty > 0}
    missing: list[dict[str, Any]] = [
        {"item_id": None, "sku": sku, "required": str(q), "available": "0.000", "short": str(q)}
        for sku, q in sorted(need.items())
        if sku not in stocked
    ]
    if missing:
        raise Conflict(
            "Some components are not stocked at this plant",
            code="insufficient_stock",
            extra={"shortages": missing},
        )
    needs = {stocked[sku].id: q for sku, q in need.items()}
    items = {stocked[sku].id: stocked[sku] for sku in need}
    return Reservation(tenant_id, order.id, needs, items, actor)


def allocated_event(order: Order, reservation: Reservation) -> OrderAllocated:
    """`production.order.allocated`: the components the order reserved (what its lots are
    made of), for quality's passports; in SKU order."""
    items = sorted(reservation.items.values(), key=lambda i: i.sku)
    components = [
        AllocatedComponent(
            item_id=i.id, sku=i.sku, name=i.name, quantity=reservation.needs[i.id], unit=i.unit
        )
        for i in items
    ]
    return OrderAllocated(
        order_id=order.id,
        order_number=order.number,
        plant_id=order.plant_id,
        product_id=order.product_id,
        product_version_id=order.product_version_id,
        product_sku=order.product_sku,
        quantity=order.quantity,
        components=components,
    )


async def reserve(session: AsyncSession, reservation: Reservation) -> None:
    """One statement for the whole BOM: stock, ledger and the order's allocation rows (see
    inventory.ledger.reserve)."""
    await reserve_stock(
        session,
        reservation.tenant_id,
        reservation.needs,
        order_id=reservation.order_id,
        actor=reservation.actor,
    )


async def release(session: AsyncSession, order: Order, *, actor: str) -> None:
    held = await repo.active_allocations(session, order.id)
    moves = [move(a.item_id, "release", a.quantity, reference=f"order:{order.id}") for a in held]
    await apply_movements(session, order.tenant_id, moves, actor=actor)
    await repo.close_allocations(session, order.id, "released")


async def consume(session: AsyncSession, order: Order, *, actor: str) -> None:
    """The order's materials leave the shelf: on_hand and allocated both fall."""
    held = await repo.active_allocations(session, order.id)
    moves = [
        move(a.item_id, "issue", a.quantity, reference=f"order:{order.id}", consume=True)
        for a in held
    ]
    await apply_movements(session, order.tenant_id, moves, actor=actor)
    await repo.close_allocations(session, order.id, "consumed")
