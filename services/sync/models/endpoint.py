"""Where events go: a tenant's webhook subscription, or an internal subscriber service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, Text, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin
from services.sync.models.base import Base

KIND_TENANT = "tenant"
KIND_INTERNAL = "internal"
# own: events whose tenant_id is the endpoint's tenant; customer: events made for it
SCOPE_OWN = "own"
SCOPE_CUSTOMER = "customer"


class Endpoint(IdMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("service", "path"),)

    # NULL for internal subscribers (visible to system transactions only)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    # a client tenant's endpoint: its provider (events made for the client must come from it)
    parent_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default=KIND_TENANT)
    scope: Mapped[str] = mapped_column(String(16), default=SCOPE_OWN)
    space: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # internal subscribers: the consuming service and its path (one endpoint per pair)
    service: Mapped[str | None] = mapped_column(String(64), nullable=True)
    path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    previous_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # First failure of the current unbroken run of failures (cleared on success)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
