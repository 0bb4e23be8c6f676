"""Quality's events: each goes to the outbox (for sync, webhooks, production) and to the
live feed, in the request's own transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.outbox import emit_event
from services.quality.models import FeedEntry, outbox

INSPECTION_OPENED = "quality.inspection.opened"
INSPECTION_STARTED = "quality.inspection.started"
INSPECTION_COMPLETED = "quality.inspection.completed"
DEFECT_RECORDED = "quality.defect.recorded"
PHOTO_ADDED = "quality.photo.added"
REPORT_READY = "quality.report.ready"
PASSPORT_PUBLISHED = "quality.passport.published"

FEED_CHANNEL = "quality_feed"
# Feed rows of one tenant commit in seq order: the writer holds this lock (per tenant) until
# its transaction ends, so a reader that saw seq N never later finds a smaller one appear.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('quality_feed:' || :tenant, 0))")
_NOTIFY = text("SELECT pg_notify('quality_feed', :tenant)")


def plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


async def emit(
    session: AsyncSession,
    type: str,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    data: dict[str, Any],
    customer_tenant_id: uuid.UUID | None,
    plant_id: uuid.UUID | None,
    lot_id: uuid.UUID | None,
) -> uuid.UUID:
    payload = plain(data)
    now = datetime.now(UTC)
    event_id = await emit_event(
        session,
        outbox,
        type=type,
        tenant_id=tenant_id,
        subject=subject,
        data=payload,
        customer_tenant_id=customer_tenant_id,
        occurred_at=now,
    )
    await session.execute(_LOCK, {"tenant": str(tenant_id)})
    session.add(
        FeedEntry(
            tenant_id=tenant_id,
            customer_tenant_id=customer_tenant_id,
            plant_id=plant_id,
            lot_id=lot_id,
            event_id=event_id,
            type=type,
            subject=subject,
            data=payload,
            occurred_at=now,
        )
    )
    await session.flush()
    await session.execute(_NOTIFY, {"tenant": str(tenant_id)})
    return event_id
