"""Quality's events: each typed model (libs/contracts/events/quality.py) goes to the outbox
(for sync, webhooks and production) and to the live feed, in the request's own transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.contracts import EventModel, emit_event
from services.quality.models import FeedEntry, outbox

FEED_CHANNEL = "quality_feed"
# Feed rows of one tenant commit in seq order: the writer holds this lock (per tenant) until
# its transaction ends, so a reader that saw seq N never later finds a smaller one appear.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('quality_feed:' || :tenant, 0))")
_NOTIFY = text("SELECT pg_notify('quality_feed', :tenant)")


async def emit(
    session: AsyncSession,
    event: EventModel,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None,
    plant_id: uuid.UUID | None,
    lot_id: uuid.UUID | None,
) -> uuid.UUID:
    now = datetime.now(UTC)
    event_id = await emit_event(
        session,
        outbox,
        event=event,
        tenant_id=tenant_id,
        subject=subject,
        customer_tenant_id=customer_tenant_id,
        occurred_at=now,
    )
    await append_to_feed(
        session,
        FeedEntry(
            tenant_id=tenant_id,
            customer_tenant_id=customer_tenant_id,
            plant_id=plant_id,
            lot_id=lot_id,
            event_id=event_id,
            type=event.event_type,
            subject=subject,
            data=event.payload(),
            occurred_at=now,
        ),
    )
    return event_id


async def append_to_feed(session: AsyncSession, entry: FeedEntry) -> None:
    """Adds a feed row under its tenant's feed lock and wakes that tenant's streams when the
    transaction commits."""
    await session.execute(_LOCK, {"tenant": str(entry.tenant_id)})
    session.add(entry)
    await session.flush()
    await session.execute(_NOTIFY, {"tenant": str(entry.tenant_id)})
