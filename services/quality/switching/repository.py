from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quality.models import SwitchingState


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, sku: str, *, for_update: bool = False
) -> SwitchingState | None:
    stmt = select(SwitchingState).where(
        SwitchingState.tenant_id == tenant_id, SwitchingState.product_sku == sku
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).one_or_none()


async def get_or_create_locked(
    session: AsyncSession, tenant_id: uuid.UUID, sku: str, start: str
) -> SwitchingState:
    """The product's record, locked for this transaction (made in `start` on first use):
    lots of one product are judged one after the other."""
    await session.execute(
        insert(SwitchingState)
        .values(
            tenant_id=tenant_id,
            product_sku=sku,
            state=start,
            score=0,
            recent=[],
            consecutive_accepted=0,
            rejected_on_tightened=0,
            production_steady=True,
            reduced_approved=False,
            lots=0,
            state_since=datetime.now(UTC),
            history=[],
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "product_sku"])
    )
    found = await get(session, tenant_id, sku, for_update=True)
    assert found is not None
    return found


def list_query(tenant_id: uuid.UUID, state: str | None) -> Select[Any]:
    stmt = select(SwitchingState).where(SwitchingState.tenant_id == tenant_id)
    if state:
        stmt = stmt.where(SwitchingState.state == state)
    return stmt
