"""Events this service emits (typed models from libs.contracts), written to the outbox in
the request's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.contracts import EventModel, emit_event
from libs.contracts.events.production import (
    InventoryBelowReorderLevel,
    LotGateReached,
    OrderAllocated,
    OrderStatusChanged,
    StageCompleted,
)
from services.production.models import outbox

__all__ = [
    "InventoryBelowReorderLevel",
    "LotGateReached",
    "OrderAllocated",
    "OrderStatusChanged",
    "StageCompleted",
    "emit",
]


async def emit(
    session: AsyncSession,
    event: EventModel,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None = None,
) -> uuid.UUID:
    return await emit_event(
        session,
        outbox,
        event=event,
        tenant_id=tenant_id,
        subject=subject,
        customer_tenant_id=customer_tenant_id,
    )
