"""Channels, channel catalogs (a draft of items) and their immutable published versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    column,
    nulls_first,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin, utcnow
from services.catalog.models.base import Base, TenantMixin


class Channel(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_channels_name"),)

    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))


class ChannelCatalog(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """What `publisher_org_id` (None: the tenant itself) lists on a channel for `org_id`
    (None: every organisation on the channel)."""

    __tablename__ = "channel_catalogs"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "channel_id",
            "org_id",
            "publisher_org_id",
            name="uq_channel_catalogs_key",
            postgresql_nulls_not_distinct=True,
        ),
        Index(
            "ix_channel_catalogs_audience",
            "tenant_id",
            nulls_first(column("org_id")),
            "channel_id",
        ),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channels.id"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    publisher_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("catalog.organisations.id")
    )
    current_version: Mapped[int] = mapped_column(Integer, default=0)


class CatalogDraftItem(IdMixin, TenantMixin, Base):
    __tablename__ = "catalog_draft_items"
    __table_args__ = (
        UniqueConstraint(
            "catalog_id",
            "sku_id",
            "offering_id",
            name="uq_catalog_draft_items_item",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_catalog_draft_items_catalog", "catalog_id", "id"),
        Index("ix_catalog_draft_items_sku", "sku_id"),
    )

    catalog_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channel_catalogs.id"))
    sku_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.skus.id"))
    offering_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.offerings.id"))
    status: Mapped[str] = mapped_column(String(20), default="listed")
    constraints: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogVersion(IdMixin, TenantMixin, Base):
    """A published snapshot; the database refuses any update or delete of one."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("catalog_id", "number", name="uq_catalog_versions_number"),)

    catalog_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.channel_catalogs.id"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # publish | rollback
    source_version: Mapped[int | None] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(500))
    published_by: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
