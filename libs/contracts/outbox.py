"""Emitting a typed event: the model's payload goes to the service's outbox, in the caller's
transaction (libs.common.outbox does the writing)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.outbox import emit_event as _emit_row
from libs.contracts.base import EventModel


async def emit_event(
    session: AsyncSession,
    table: Table,
    *,
    event: EventModel,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> uuid.UUID:
    """Write `event` to `table` (the service's outbox); returns the event id."""
    return await _emit_row(
        session,
        table,
        type=event.event_type,
        tenant_id=tenant_id,
        subject=subject,
        data=event.payload(),
        customer_tenant_id=customer_tenant_id,
        occurred_at=occurred_at,
    )
