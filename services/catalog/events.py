"""Events catalog emits, written to the outbox in the request's transaction.

Each type has a pydantic model with a `schema_version`; when the shared contracts package
(`libs/contracts/events/catalog.py`) lands these models move there unchanged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.outbox import emit_event
from services.catalog.models import outbox


class CatalogEvent(BaseModel):
    type: ClassVar[str]
    schema_version: int = 1


class CatalogPublished(CatalogEvent):
    type: ClassVar[str] = "catalog.published"
    catalog_id: uuid.UUID
    channel_id: uuid.UUID
    org_id: uuid.UUID | None
    publisher_org_id: uuid.UUID | None
    version: int
    action: str  # publish | rollback
    source_version: int | None
    item_count: int
    published_by: str
    published_at: datetime


class PriceBookUpdated(CatalogEvent):
    type: ClassVar[str] = "catalog.price_book.updated"
    price_book_id: uuid.UUID
    scope_type: str
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    currency: str
    version: int
    change: str  # created | updated | rule_added | rule_updated | rule_deleted


class TicketCreated(CatalogEvent):
    type: ClassVar[str] = "catalog.ticket.created"
    ticket_id: uuid.UUID
    equipment_id: uuid.UUID | None
    source: str
    severity: str
    responsible_org_id: uuid.UUID | None
    coverage_policy_id: uuid.UUID | None
    response_due_at: datetime | None


class TicketEscalated(CatalogEvent):
    type: ClassVar[str] = "catalog.ticket.escalated"
    ticket_id: uuid.UUID
    level: int
    from_org_id: uuid.UUID | None
    to_org_id: uuid.UUID | None
    reason: str
    response_due_at: datetime | None


async def emit(
    session: AsyncSession,
    event: CatalogEvent,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None = None,
) -> uuid.UUID:
    return await emit_event(
        session,
        outbox,
        type=event.type,
        tenant_id=tenant_id,
        subject=subject,
        data=event.model_dump(mode="json"),
        customer_tenant_id=customer_tenant_id,
    )
