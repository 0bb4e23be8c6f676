"""Events this service emits, written to the outbox in the request's transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.outbox import emit_event
from services.production.models import outbox

ORDER_STATUS_CHANGED = "production.order.status_changed"
LOT_GATE_REACHED = "production.lot.gate_reached"
STAGE_COMPLETED = "production.stage.completed"
BELOW_REORDER_LEVEL = "production.inventory.below_reorder_level"


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


async def emit(
    session: AsyncSession,
    type: str,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    data: dict[str, Any],
    customer_tenant_id: uuid.UUID | None = None,
) -> uuid.UUID:
    return await emit_event(
        session,
        outbox,
        type=type,
        tenant_id=tenant_id,
        subject=subject,
        data=_plain(data),
        customer_tenant_id=customer_tenant_id,
    )
