"""Store events once (by id) and fan them out, in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.ids import new_id
from libs.contracts import EventModel
from services.sync.delivery.fanout import fan_out
from services.sync.ingest import repository as repo


async def store_events(
    session: AsyncSession,
    events: Sequence[dict[str, Any]],
    *,
    source: str,
    fan_out_to_endpoints: bool = True,
) -> tuple[int, int]:
    """Insert events not seen before and fan out those only. Returns (new, deliveries)."""
    if not events:
        return 0, 0
    fresh_ids = await repo.insert_new(session, events, source=source)
    fresh = [e for e in events if e["id"] in fresh_ids]
    deliveries = await fan_out(session, fresh) if fan_out_to_endpoints else 0
    return len(fresh), deliveries


async def emit_sync_event(
    session: AsyncSession,
    event: EventModel,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    customer_tenant_id: uuid.UUID | None = None,
    fan_out: bool = True,
) -> uuid.UUID:
    """An event of sync's own (e.g. sync.endpoint.disabled): stored and fanned out directly
    (or stored only, for a message meant for one endpoint)."""
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
        fan_out_to_endpoints=fan_out,
    )
    return event_id


async def ingest_batch(
    db: Database, events: Sequence[dict[str, Any]], *, source: str
) -> tuple[int, int]:
    """A relay's batch, in its own system transaction (events name their tenants)."""
    async with db.transaction(None, system=True) as session:
        return await store_events(session, events, source=source)
