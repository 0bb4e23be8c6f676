"""Store events once (by id) and fan them out, in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.ids import new_id
from libs.contracts import EventModel
from services.sync.delivery.fanout import fan_out
from services.sync.models import Event


async def store_events(
    session: AsyncSession, events: Sequence[dict[str, Any]], *, source: str
) -> tuple[int, int]:
    """Insert events not seen before and fan out those only. Returns (new, deliveries)."""
    if not events:
        return 0, 0
    rows = [{**e, "source": source} for e in events]
    inserted = (
        (
            await session.execute(
                insert(Event)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(Event.id)
            )
        )
        .scalars()
        .all()
    )
    fresh_ids = set(inserted)
    fresh = [e for e in events if e["id"] in fresh_ids]
    deliveries = await fan_out(session, fresh)
    return len(fresh), deliveries


async def emit_sync_event(
    session: AsyncSession,
    event: EventModel,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """An event of sync's own (e.g. sync.endpoint.disabled): stored and fanned out directly."""
    event_id = new_id()
    await store_events(
        session,
        [
            {
                "id": event_id,
                "type": event.event_type,
                "tenant_id": tenant_id,
                "customer_tenant_id": customer_tenant_id,
                "subject": subject,
                "occurred_at": datetime.now(UTC),
                "data": event.payload(),
            }
        ],
        source="sync",
    )
    return event_id
