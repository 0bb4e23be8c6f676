"""Property: whatever sequence of stock operations runs (some refused), every item's
on_hand and allocated equal the sums of its ledger rows, and never go out of bounds."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from libs.common.db import Database
from libs.common.errors import Conflict
from services.production.inventory.ledger import apply_movements, move
from services.production.models import InventoryItem, Plant
from tools.stack import Stack

KINDS = ["receipt", "issue", "adjustment", "return", "allocation", "release", "consume"]
op = st.tuples(
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=2),  # which item; 2 means both (one transaction)
    st.integers(min_value=1, max_value=40),
    st.booleans(),  # sign, for adjustments
)


async def _run(dsn: str, ops: list[tuple[str, int, int, bool]]) -> None:
    db = Database(dsn, schema="production", pool_size=2, max_overflow=0)
    tenant = uuid.uuid4()
    try:
        async with db.transaction(tenant) as s:
            plant = Plant(tenant_id=tenant, code="P", name="P")
            s.add(plant)
            await s.flush()
            items = [
                InventoryItem(
                    tenant_id=tenant,
                    plant_id=plant.id,
                    sku=f"S{i}",
                    name="x",
                    unit="pcs",
                    reorder_level=Decimal(10),
                )
                for i in range(2)
            ]
            s.add_all(items)
            await s.flush()
            ids = [i.id for i in items]
        refused = 0
        for kind, which, qty, negative in ops:
            targets = ids if which == 2 else [ids[which]]
            q = Decimal(qty)
            moves = []
            for item_id in targets:
                if kind == "adjustment":
                    moves.append(move(item_id, "adjustment", -q if negative else q, note="count"))
                elif kind == "consume":
                    moves.append(move(item_id, "issue", q, consume=True))
                else:
                    moves.append(move(item_id, kind, q))
            try:
                async with db.transaction(tenant) as s:
                    await apply_movements(s, tenant, moves, actor="prop")
            except Conflict as exc:
                assert exc.code == "insufficient_stock"
                refused += 1
        async with db.transaction(tenant) as s:
            rows = (
                await s.execute(
                    text(
                        "SELECT i.id, i.on_hand, i.allocated, "
                        "COALESCE(SUM(l.on_hand_delta), 0) AS oh, COALESCE(SUM(l.allocated_delta), 0) AS al, "
                        "COUNT(l.id) AS n FROM inventory_items i "
                        "LEFT JOIN inventory_ledger l ON l.item_id = i.id GROUP BY i.id"
                    )
                )
            ).all()
            assert len(rows) == 2
            for r in rows:
                assert (r.on_hand, r.allocated) == (r.oh, r.al)
                assert r.on_hand >= 0 and 0 <= r.allocated <= r.on_hand
            last = (
                await s.execute(
                    text(
                        "SELECT DISTINCT ON (item_id) item_id, on_hand_after, allocated_after "
                        "FROM inventory_ledger ORDER BY item_id, id DESC"
                    )
                )
            ).all()
            figures = {r.id: (r.on_hand, r.allocated) for r in rows}
            for r in last:
                assert figures[r.item_id] == (r.on_hand_after, r.allocated_after)
    finally:
        await db.dispose()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, min_size=1, max_size=12))
def test_item_figures_always_equal_the_ledger(stack: Stack, ops: list) -> None:
    asyncio.run(_run(stack.service_dsn("production"), ops))
