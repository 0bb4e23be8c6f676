"""Organisations of a tenant (manufacturers, distributors, dealers...) and their relationships."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.catalog.models.base import Base


class Organisation(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "organisations"

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

    parent_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    child_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    relation_type: Mapped[str] = mapped_column(String(32))
    active_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
