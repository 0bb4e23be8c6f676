"""Organisations of a tenant (manufacturers, distributors, dealers...) and their relationships."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin
from services.catalog.models.base import Base, TenantMixin


class Organisation(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_tenant_type", "tenant_id", "type", "id"),
        Index(
            "uq_organisations_client",
            "tenant_id",
            "client_tenant_id",
            unique=True,
            postgresql_where=text("client_tenant_id IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="active")
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # territory codes (ISO 3166-1 / 3166-2: "FR", "FR-IDF")
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    certifications: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # the inputs per type (seed section 4), all optional; validated by type on write
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    # the client tenant whose users act as this organisation (dealer portal, prices)
    client_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class OrgRelationship(IdMixin, TenantMixin, Base):
    """`child relation_type parent`: "D1 distributor_of M1" is child D1, parent M1."""

    __tablename__ = "org_relationships"
    __table_args__ = (
        Index("ix_org_relationships_parent", "parent_org_id"),
        Index("ix_org_relationships_child", "child_org_id"),
        Index("ix_org_relationships_type_parent", "relation_type", "parent_org_id"),
    )

    parent_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    child_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    relation_type: Mapped[str] = mapped_column(String(32))
    active_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClientLink(Base):
    """organisations.client_tenant_id mirrored by a trigger (catalog.sync_client_link), so
    the client read policies never query organisations from inside its own policy. Written
    only by the trigger."""

    __tablename__ = "client_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_tenant_id", name="uq_client_links_client"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("catalog.organisations.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    client_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
