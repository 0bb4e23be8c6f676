"""The transactional outbox: events are rows written in the request's own transaction.

Each service defines the table in its own schema with `outbox_table(metadata)` and writes
with `emit_event`. The relay that ships rows to sync after commit is libs.common.relay.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.audit.context import touch
from libs.common.ids import new_id

# The relay LISTENs here; the payload is the schema whose outbox has new rows. NOTIFY is
# transactional: it reaches the relay when the writing transaction commits, not before.
NOTIFY_CHANNEL = "weft_outbox"
_NOTIFY = func.pg_notify(NOTIFY_CHANNEL, func.current_schema())


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("type", String(200), nullable=False),
        Column("tenant_id", Uuid, nullable=False),
        Column("customer_tenant_id", Uuid, nullable=True),
        Column("subject", String(500), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("data", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", DateTime(timezone=True), nullable=True),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unsent", "created_at", postgresql_where="sent_at IS NULL"),
    )


async def emit_event(
    session: AsyncSession,
    table: Table,
    *,
    type: str,
    tenant_id: uuid.UUID,
    subject: str,
    data: dict[str, Any],
    customer_tenant_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> uuid.UUID:
    event_id = new_id()
    row = table.insert().values(
        id=event_id,
        type=type,
        tenant_id=tenant_id,
        customer_tenant_id=customer_tenant_id,
        subject=subject,
        occurred_at=occurred_at or datetime.now(UTC),
        data=data,
    )
    # One round trip: the row and the wake-up in one statement (a data-modifying CTE runs
    # whether or not the outer SELECT reads it).
    await session.execute(select(_NOTIFY).add_cte(row.cte("event")))
    touch(subject)
    return event_id


def envelope(row: Any) -> dict[str, Any]:
    """The event as it travels: {id, type, tenant_id, customer_tenant_id?, subject, occurred_at, data}."""
    out: dict[str, Any] = {
        "id": str(row.id),
        "type": row.type,
        "tenant_id": str(row.tenant_id),
        "subject": row.subject,
        "occurred_at": row.occurred_at.isoformat(),
        "data": row.data,
    }
    if row.customer_tenant_id:
        out["customer_tenant_id"] = str(row.customer_tenant_id)
    return out
