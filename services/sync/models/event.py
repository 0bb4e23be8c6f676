"""Every event once (deduplicated by its id), kept for the retention period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.sync.models.base import Base

INGEST_XID_SQL = "(pg_current_xact_id()::text)::bigint"
SEQ_SQL = "nextval('sync.events_seq'::regclass)"
# every transaction that may still commit has an id at or above this
WATERMARK_SQL = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tenant_id_id", "tenant_id", "id"),
        Index("ix_events_customer_tenant_id_id", "customer_tenant_id", "id"),
        Index("ix_events_received_at", "received_at"),
        Index("ix_events_tenant_id_ingest_xid_seq", "tenant_id", "ingest_xid", "seq"),
        Index(
            "ix_events_customer_tenant_id_ingest_xid_seq",
            "customer_tenant_id",
            "ingest_xid",
            "seq",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    subject: Mapped[str] = mapped_column(String(500))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Ingest order: the id of the storing transaction, then a sequence within it. A reader
    # pages forward only below the oldest transaction still in flight (pg_snapshot_xmin),
    # so a row that commits later always sorts after everything already read.
    ingest_xid: Mapped[int] = mapped_column(BigInteger, server_default=text(INGEST_XID_SQL))
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text(SEQ_SQL))
