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

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound
from libs.common.etag import ensure_version
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
            .with_for_update(key_share=True)
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
        ensure_version(expected_version, next(iter(locked.values())).version)

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


# Allocation of a whole BOM in one statement: the needed rows are locked in id order (no
# deadlock), checked against the locked (latest) figures, and, only when every component
# is available, reserved, written to the ledger and held for the order (its allocation
# rows). A row lock is held from this statement to the commit that follows it, not across
# the request's other round trips.
_RESERVE = text(
    """
    WITH need AS (
        SELECT n.item_id, n.qty, n.entry_id, n.hold_id
        FROM unnest(CAST(:ids AS uuid[]), CAST(:qtys AS numeric[]), CAST(:entries AS uuid[]),
                    CAST(:holds AS uuid[]))
             AS n(item_id, qty, entry_id, hold_id)
    ), locked AS MATERIALIZED (
        SELECT i.id, i.sku, i.plant_id, i.on_hand, i.allocated, i.reorder_level,
               i.reorder_quantity
        FROM inventory_items i
        WHERE i.tenant_id = CAST(:tenant AS uuid) AND i.id = ANY(CAST(:ids AS uuid[]))
        ORDER BY i.id
        FOR NO KEY UPDATE
    ), short AS (
        SELECT l.id FROM locked l JOIN need n ON n.item_id = l.id
        WHERE l.on_hand - l.allocated < n.qty
    ), moved AS (
        UPDATE inventory_items i
        SET allocated = i.allocated + n.qty, version = i.version + 1
        FROM need n
        WHERE i.id = n.item_id
          AND i.id IN (SELECT id FROM locked)
          AND NOT EXISTS (SELECT 1 FROM short)
        RETURNING i.id, i.on_hand, i.allocated, n.qty, n.entry_id, n.hold_id
    ), held AS (
        INSERT INTO order_allocations (id, tenant_id, order_id, item_id, quantity, status)
        SELECT m.hold_id, CAST(:tenant AS uuid), CAST(:order_id AS uuid), m.id, m.qty, 'active'
        FROM moved m
    ), ledger AS (
        INSERT INTO inventory_ledger (id, tenant_id, item_id, plant_id, kind, quantity,
            on_hand_delta, allocated_delta, on_hand_after, allocated_after, actor, reference,
            created_at)
        SELECT m.entry_id, CAST(:tenant AS uuid), m.id, l.plant_id, 'allocation', m.qty, 0,
               m.qty, m.on_hand, m.allocated, :actor, :reference, now()
        FROM moved m JOIN locked l ON l.id = m.id
        RETURNING item_id
    )
    SELECT l.id, l.sku, l.plant_id, l.on_hand, l.allocated, l.reorder_level,
           l.reorder_quantity, n.qty
    FROM locked l JOIN need n ON n.item_id = l.id
    ORDER BY l.id
    """
)


async def reserve(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    needs: dict[uuid.UUID, Decimal],
    *,
    order_id: uuid.UUID,
    actor: str,
) -> None:
    """Reserve `needs` (item id -> quantity) for an order, all or nothing, in one statement
    (ledger rows and the order's active allocation rows included); 409 insufficient_stock
    listing every short item, nothing reserved."""
    if not needs:
        return
    ids = sorted(needs)
    rows = (
        await session.execute(
            _RESERVE,
            {
                "ids": ids,
                "qtys": [needs[i] for i in ids],
                "entries": [new_id() for _ in ids],
                "holds": [new_id() for _ in ids],
                "tenant": tenant_id,
                "order_id": order_id,
                "actor": actor,
                "reference": f"order:{order_id}",
            },
        )
    ).all()
    missing = set(ids) - {r.id for r in rows}
    if missing:
        raise NotFound(
            "Inventory item not found",
            code="item_not_found",
            extra={"item_ids": sorted(str(i) for i in missing)},
        )
    shortages = [
        {
            "item_id": str(r.id),
            "sku": r.sku,
            "required": str(r.qty),
            "available": str(r.on_hand - r.allocated),
            "short": str(r.qty - (r.on_hand - r.allocated)),
        }
        for r in rows
        if r.on_hand - r.allocated < r.qty
    ]
    if shortages:
        raise Conflict(
            "Not enough stock for this operation",
            code="insufficient_stock",
            extra={"shortages": shortages},
        )
    for r in rows:
        before = r.on_hand - r.allocated
        level = r.reorder_level
        if level > 0 and before >= level > before - r.qty:
            await events.emit(
                session,
                events.InventoryBelowReorderLevel(
                    item_id=r.id,
                    plant_id=r.plant_id,
                    sku=r.sku,
                    on_hand=r.on_hand,
                    allocated=r.allocated + r.qty,
                    available=before - r.qty,
                    reorder_level=level,
                    reorder_quantity=r.reorder_quantity,
                ),
                tenant_id=tenant_id,
                subject=f"inventory_items/{r.id}",
            )
