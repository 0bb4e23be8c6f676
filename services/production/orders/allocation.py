"""Reserve, release and consume the stock an order needs.

Allocation explodes the order's multi-level BOM and reserves every component at the
order's plant in one transaction, or nothing: item rows are locked in id order by
`apply_movements`, so concurrent allocations queue on the rows they share and the later
ones see what the earlier ones took. No two orders can reserve the same stock.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict
from services.production.inventory import repository as inv_repo
from services.production.inventory.ledger import Move, apply_movements, move
from services.production.models import Order, OrderAllocation
from services.production.models.base import QTY
from services.production.orders import repository as repo
from services.production.products.bom import load_graph
from services.production.units import convert


async def allocate(session: AsyncSession, order: Order, *, actor: str) -> list[OrderAllocation]:
    """Caller holds the order row lock and has checked the transition."""
    tenant_id = order.tenant_id
    graph = await load_graph(session, tenant_id, [order.product_version_id])
    wanted = graph.requirements(order.product_version_id, order.quantity)
    stocked = await inv_repo.item_units_by_sku(
        session, tenant_id, order.plant_id, list({sku for sku, _ in wanted})
    )
    # Every need in the unit its item is stocked in (50 cm of a foil stocked in m: 0.5 m).
    exact: dict[str, Decimal] = defaultdict(Decimal)
    for (sku, unit), qty in wanted.items():
        stock_unit = stocked[sku][1] if sku in stocked else None
        exact[sku] += convert(qty, unit, stock_unit, sku=sku)
    need = {sku: qty.quantize(QTY, rounding=ROUND_CEILING) for sku, qty in exact.items() if qty > 0}
    ids = {sku: stocked[sku][0] for sku in need if sku in stocked}
    missing: list[dict[str, Any]] = [
        {"item_id": None, "sku": sku, "required": str(q), "available": "0.000", "short": str(q)}
        for sku, q in sorted(need.items())
        if sku not in ids
    ]
    moves: list[Move] = [
        move(ids[sku], "allocation", q, reference=f"order:{order.id}")
        for sku, q in need.items()
        if sku in ids
    ]
    try:
        await apply_movements(session, tenant_id, moves, actor=actor)
    except Conflict as exc:
        if exc.code == "insufficient_stock" and missing:
            exc.extra["shortages"] = [*exc.extra.get("shortages", []), *missing]
        raise
    if missing:
        raise Conflict(
            "Some components are not stocked at this plant",
            code="insufficient_stock",
            extra={"shortages": missing},
        )
    rows = [
        OrderAllocation(
            tenant_id=tenant_id,
            order_id=order.id,
            item_id=m.item_id,
            quantity=m.quantity,
            status="active",
        )
        for m in moves
    ]
    session.add_all(rows)
    await session.flush()
    return rows


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
