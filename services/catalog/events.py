"""Events catalog emits, typed in libs/contracts/events/catalog.py, written to the outbox in
the request's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.contracts.base import EventModel
from libs.contracts.events.catalog import (
    CatalogPublished,
    OrganisationLinked,
    PriceBookUpdated,
    TicketCreated,
    TicketEscalated,
)
from libs.contracts.outbox import emit_event
from services.catalog.models import outbox

__all__ = [
    "CatalogPublished",
    "OrganisationLinked",
    "PriceBookUpdated",
    "TicketCreated",
    "TicketEscalated",
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
