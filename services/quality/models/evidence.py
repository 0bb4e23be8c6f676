"""Photos, the live feed, reports and passports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.quality.models.base import Base


class Photo(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_uploaded", "id", postgresql_where=text("status = 'uploaded'")),
    )

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    inspection_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    defect_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    # the store holding the object (its URL): workers process only what their store holds
    storage: Mapped[str] = mapped_column(String(500))
    thumb_key: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(50))
    max_bytes: Mapped[int] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # pending (upload URL issued) -> uploaded (registered) -> processed | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    caption: Mapped[str | None] = mapped_column(Text)
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(255))


class FeedEntry(TenantMixin, Base):
    """The live QA feed: one row per quality event, `seq` in commit order per tenant."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        Index("ix_feed_entries_tenant_id_seq", "tenant_id", "seq"),
        Index("ix_feed_entries_customer_tenant_id_seq", "customer_tenant_id", "seq"),
    )

    # indexed with seq (above), not alone
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Report(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_queued", "id", postgresql_where=text("status = 'queued'")),)

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(30))
    # queued -> running -> ready | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str | None] = mapped_column(String(500))
    storage: Mapped[str] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_space: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Passport(IdMixin, TenantMixin, Base):
    """A published Digital Product Passport (UNTP DPP 0.6). Rows are never updated in
    content: a change publishes a new version and marks the old one superseded."""

    __tablename__ = "passports"
    __table_args__ = (
        UniqueConstraint("lot_id", "version"),
        # Digital Link resolution: the published passport of (GTIN, lot number)
        Index(
            "ix_passports_digital_link",
            "gtin",
            "lot_number",
            postgresql_where=text("status = 'published'"),
        ),
    )

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    lot_number: Mapped[str] = mapped_column(String(120))
    gtin: Mapped[str | None] = mapped_column(String(14))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="published")
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    credential: Mapped[dict[str, Any]] = mapped_column(JSONB)
    page: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_by: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
