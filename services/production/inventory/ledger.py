"""Every change of stock goes through `apply_movements`: rows locked in id order, figures
checked, one ledger row per change, reorder alerts. The item's on_hand and allocated are
therefore always the sums of its ledger's deltas.

Rows are locked with SELECT ... FOR UPDATE ordered by id, so two transactions touching
the same items take the locks in the same order (no deadlock) and the second one sees the
first one's result (no oversell).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, PreconditionFailed
from libs.common.ids import new_id
from services.production import events
from services.production.models import InventoryItem, LedgerEntry
from services.production.models.base import ZERO

# kind -> (sign applied to on_hand, sign applied to allocated) for a positive quantity
KIND_EFFECT: dict[str, tuple[int, int]] = {
    "receipt": (1, 0),
    "return": (1, 0),
    "issue": (-1, 0),
    "allocation": (0, 1),
    "release": (0, -1),
}


@dataclass(frozen=True, slots=True)
class Move:
    item_id: uuid.UUID
    kind: str
    quantity: Decimal  # the amount, as shown in the ledger (signed only for adjustments)
    on_hand_delta: Decimal
    allocated_delta: Decimal
    reference: str | None = None
    note: str | None = None


def move(
    item_id: uuid.UUID,
    kind: str,
    quantity: Decimal,
    *,
    reference: str | None = None,
    note: str | None = None,
    consume: bool = False,
) -> Move:
    """Build a Move. `adjustment` takes a signed quantity; `issue` with consume=True takes
    allocated stock off the shelf (on_hand and allocated both fall)."""
    if kind == "adjustment":
        oh, al = quantity, ZERO
    else:
        s_oh, s_al = KIND_EFFECT[kind]
        oh, al = quantity * s_oh, quantity * s_al
        if kind == "issue" and consume:
            al = -quantity
    q = Decimal("0.001")
    return Move(
        item_id, kind, quantity.quantize(q), oh.quantize(q), al.quantize(q), reference, note
    )


_LOCK_COLUMNS = (
    InventoryItem.id,
    InventoryItem.tenant_id,
    InventoryItem.plant_id,
    InventoryItem.sku,
    InventoryItem.on_hand,
    InventoryItem.allocated,
    InventoryItem.reorder_level,
    InventoryItem.reorder_quantity,
    InventoryItem.version,
)

_items = cast(Table, InventoryItem.__table__)
_ledger = cast(Table, LedgerEntry.__table__)
_UPDATE = (
    update(_items)
    .where(_items.c.id == bindparam("b_id"))
    .values(
        on_hand=bindparam("b_on_hand"),
        allocated=bindparam("b_allocated"),
        version=_items.c.version + 1,
    )
)


async def lock_items(
    session: AsyncSession, tenant_id: uuid.UUID, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    rows = (
        await session.execute(
            select(*_LOCK_COLUMNS)
            .where(InventoryItem.tenant_id == tenant_id, InventoryItem.id.in_(sorted(item_ids)))
            .order_by(InventoryItem.id)
            .with_for_update()
        )
    ).all()
    return {r.id: r for r in rows}


async def apply_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    moves: list[Move],
    *,
    actor: str,
    expected_version: int | None = None,
) -> list[dict[str, Any]]:
    """Apply all moves or none; returns the ledger rows written (as dicts).

    Refuses with 409 insufficient_stock, listing every short item, when a move would take
    on_hand below zero or below what is allocated (available below zero).
    """
    if not moves:
        return []
    locked = await lock_items(session, tenant_id, list({m.item_id for m in moves}))
    missing = {m.item_id for m in moves} - locked.keys()
    if missing:
        raise NotFound(
            "Inventory item not found",
            code="item_not_found",
            extra={"item_ids": sorted(str(i) for i in missing)},
        )
    if expected_version is not None and len(locked) == 1:
        current = next(iter(locked.values())).version
        if current != expected_version:
            raise PreconditionFailed(
                f'If-Match does not match the current version "{current}"',
                code="version_mismatch",
            )

    state = {i: [r.on_hand, r.allocated] for i, r in locked.items()}
    before = {i: (r.on_hand, r.allocated) for i, r in locked.items()}
    ledger: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for m in moves:
        fig = state[m.item_id]
        fig[0] += m.on_hand_delta
        fig[1] += m.allocated_delta
        row = locked[m.item_id]
        ledger.append(
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "item_id": m.item_id,
                "plant_id": row.plant_id,
                "kind": m.kind,
                "quantity": m.quantity,
                "on_hand_delta": m.on_hand_delta,
                "allocated_delta": m.allocated_delta,
                "on_hand_after": fig[0],
                "allocated_after": fig[1],
                "actor": actor,
                "reference": m.reference,
                "note": m.note,
                "created_at": now,
            }
        )

    shortages = []
    for item_id, (on_hand, allocated) in state.items():
        if on_hand < 0 or allocated < 0 or allocated > on_hand:
            b_on_hand, b_alloc = before[item_id]
            available = b_on_hand - b_alloc
            needed = available - (on_hand - allocated)  # how much availability the moves use
            if allocated < 0:
                needed, available = -(allocated - b_alloc), b_alloc
            shortages.append(
                {
                    "item_id": str(item_id),
                    "sku": locked[item_id].sku,
                    "required": str(needed),
                    "available": str(available),
                    "short": str(needed - available),
                }
            )
    if shortages:
        raise Conflict(
            "Not enough stock for this operation",
            code="insufficient_stock",
            extra={"shortages": shortages},
        )

    await session.execute(
        _UPDATE,
        [{"b_id": i, "b_on_hand": f[0], "b_allocated": f[1]} for i, f in state.items()],
    )
    await session.execute(_ledger.insert(), ledger)

    for item_id, (on_hand, allocated) in state.items():
        row = locked[item_id]
        level = row.reorder_level
        b_on_hand, b_alloc = before[item_id]
        if level > 0 and (
            (b_on_hand - b_alloc >= level > on_hand - allocated) or (b_on_hand >= level > on_hand)
        ):
            await events.emit(
                session,
                events.InventoryBelowReorderLevel(
                    item_id=item_id,
                    plant_id=row.plant_id,
                    sku=row.sku,
                    on_hand=on_hand,
                    allocated=allocated,
                    available=on_hand - allocated,
                    reorder_level=level,
                    reorder_quantity=row.reorder_quantity,
                ),
                tenant_id=tenant_id,
                subject=f"inventory_items/{item_id}",
            )
    return ledger
