"""MRP: net requirements of every open order against stock, allocations and reorder levels.

One query each for items, open orders and the tenant's whole BOM graph; each product
version is exploded once (memoized) and the rest is dictionary arithmetic, so 10,000
orders with five-level BOMs over 5,000 items is a matter of a few seconds.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import NotFound
from services.production.access import plant_scope, require_plant
from services.production.models import MrpRun as RunModel
from services.production.models.base import QTY, ZERO
from services.production.mrp import repository as repo
from services.production.mrp.schemas import MrpPlan, MrpRun
from services.production.plants.service import get_plant
from services.production.products.bom import load_graph
from services.production.units import IncompatibleUnits, convert


class MrpRunNotFound(NotFound):
    code, title = "mrp_run_not_found", "MRP run not found"


async def _scoped_plan(
    session: AsyncSession,
    principal: Principal,
    plant_id: uuid.UUID | None,
    perm: str,
    blocked_listed: int,
) -> MrpPlan:
    """The plan over the plants the caller holds `perm` for (or the one it names)."""
    if plant_id is not None:
        await get_plant(session, principal.tenant_id, plant_id)
        require_plant(principal, perm, plant_id)
    plan = await compute_plan(
        session,
        principal.tenant_id,
        plant_id=plant_id,
        plants=plant_scope(principal, perm),
        blocked_listed=blocked_listed,
    )
    return MrpPlan.model_validate(plan)


async def get_plan(
    session: AsyncSession, principal: Principal, plant_id: uuid.UUID | None, blocked_listed: int
) -> MrpPlan:
    return await _scoped_plan(session, principal, plant_id, "mrp:read", blocked_listed)


async def create_run(
    session: AsyncSession, principal: Principal, plant_id: uuid.UUID | None, blocked_listed: int
) -> MrpRun:
    plan = await _scoped_plan(session, principal, plant_id, "mrp:run", blocked_listed)
    run = await repo.add_run(
        session,
        RunModel(
            tenant_id=principal.tenant_id,
            plant_id=plant_id,
            created_by=principal.subject,
            open_orders=plan.summary.open_orders,
            duration_ms=plan.duration_ms,
            result=plan.model_dump(mode="json"),
        ),
    )
    return MrpRun(id=run.id, created_by=run.created_by, created_at=run.created_at, plan=plan)


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> MrpRun:
    run = await repo.get_run(session, principal.tenant_id, run_id)
    # a run over every plant is for those who read MRP tenant-wide; a plant's run, for
    # those who read it at that plant
    if run is None or not principal.has_permission("mrp:read", run.plant_id):
        raise MrpRunNotFound("MRP run not found")
    return MrpRun(
        id=run.id,
        created_by=run.created_by,
        created_at=run.created_at,
        plan=MrpPlan.model_validate(run.result),
    )


def _q(x: Decimal) -> Decimal:
    return x.quantize(QTY, rounding=ROUND_CEILING)


def suggest(projected: Decimal, level: Decimal, lot: Decimal) -> Decimal:
    """What to buy so projected stock is back at the reorder level (or at zero)."""
    target = level if level > 0 else ZERO
    if projected >= target and projected >= 0:
        return ZERO
    need = target - projected
    if lot > 0:
        return (need / lot).to_integral_value(rounding=ROUND_CEILING) * lot
    return _q(need)


async def compute_plan(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    plant_id: uuid.UUID | None = None,
    plants: Collection[uuid.UUID] | None = None,
    blocked_listed: int = 50,
) -> dict[str, Any]:
    started = time.perf_counter()
    items = {
        (r.plant_id, r.sku): r
        for r in await repo.items(session, tenant_id, plant_id=plant_id, plants=plants)
    }
    orders = await repo.open_orders(session, tenant_id, plant_id=plant_id, plants=plants)
    graph = await load_graph(session, tenant_id)

    gross: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    unallocated: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    remaining = {k: r.on_hand - r.allocated for k, r in items.items()}
    blocked: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = defaultdict(list)
    blocked_count: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    blocked_orders: set[uuid.UUID] = set()
    pending = 0
    for o in orders:  # earliest due first: they get the stock first
        qty = Decimal(o.quantity)
        is_pending = o.status == "pending"
        pending += is_pending
        for (sku, unit), per in graph.flat(o.product_version_id).items():
            key = (o.plant_id, sku)
            item = items.get(key)
            try:
                need = convert(per, unit, item.unit if item else None, sku=sku) * qty
            except IncompatibleUnits:
                # This order cannot be allocated (allocation refuses it with 422): it is
                # blocked on this SKU, and one bad BOM does not stop the tenant's plan.
                blocked_count[key] += 1
                blocked_orders.add(o.id)
                if len(blocked[key]) < blocked_listed:
                    blocked[key].append(o.id)
                gross.setdefault(key, ZERO)
                continue
            gross[key] += need
            if not is_pending:
                continue
            unallocated[key] += need
            left = remaining.get(key, ZERO) - need
            remaining[key] = left
            if left < 0:
                blocked_count[key] += 1
                blocked_orders.add(o.id)
                if len(blocked[key]) < blocked_listed:
                    blocked[key].append(o.id)

    lines: list[dict[str, Any]] = []
    for key in set(gross) | set(items):
        r = items.get(key)
        on_hand = r.on_hand if r else ZERO
        allocated = r.allocated if r else ZERO
        level = r.reorder_level if r else ZERO
        lot = r.reorder_quantity if r else ZERO
        available = on_hand - allocated
        open_need = _q(unallocated.get(key, ZERO))
        projected = available - open_need
        purchase = suggest(projected, level, lot)
        if key not in gross and purchase == 0:
            continue
        lines.append(
            {
                "plant_id": key[0],
                "item_id": r.id if r else None,
                "sku": key[1],
                "name": r.name if r else None,
                "unit": r.unit if r else None,
                "on_hand": on_hand,
                "allocated": allocated,
                "available": available,
                "gross_requirement": _q(gross.get(key, ZERO)),
                "unallocated_requirement": open_need,
                "projected_available": projected,
                "net_shortage": max(ZERO, -projected),
                "reorder_level": level,
                "reorder_quantity": lot,
                "suggested_purchase": purchase,
                "blocked_order_count": blocked_count.get(key, 0),
                "blocked_orders": blocked.get(key, []),
            }
        )
    lines.sort(key=lambda x: (-x["net_shortage"], x["sku"], str(x["plant_id"])))
    return {
        "plant_id": plant_id,
        "computed_at": datetime.now(UTC),
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "summary": {
            "open_orders": len(orders),
            "pending_orders": pending,
            "blocked_orders": len(blocked_orders),
            "items_short": sum(1 for x in lines if x["net_shortage"] > 0),
            "items_to_reorder": sum(1 for x in lines if x["suggested_purchase"] > 0),
        },
        "lines": lines,
    }
