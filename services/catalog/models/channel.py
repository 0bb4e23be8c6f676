"""Channels, channel catalogs (a draft of items) and their immutable published versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin, utcnow
from services.catalog.models.base import Base


class Channel(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "channels"

    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))


class ChannelCatalog(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """What `publisher_org_id` (None: the tenant itself) lists on a channel for `org_id`
    (None: every organisation on the channel)."""

    __tablename__ = "channel_catalogs"

    channel_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channels.id"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    publisher_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("catalog.organisations.id")
    )
    current_version: Mapped[int] = mapped_column(Integer, default=0)


class CatalogDraftItem(IdMixin, TenantMixin, Base):
    __tablename__ = "catalog_draft_items"

    catalog_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channel_catalogs.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.skus.id"))
    offering_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.offerings.id"))
    status: Mapped[str] = mapped_column(String(20), default="listed")
    constraints: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogVersion(IdMixin, TenantMixin, Base):
    """A published snapshot; the database refuses any update or delete of one."""

    __tablename__ = "catalog_versions"

    catalog_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channel_catalogs.id"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # publish | rollback
    source_version: Mapped[int | None] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(500))
    published_by: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
