"""Partner organisations and projects.

A partner organisation is a client tenant of the owner (the provider tenant that invites
it): its row is owned by the owner (`tenant_id`) and made for the partner's tenant
(`customer_tenant_id`), so the kit's client rule (both halves) decides who reads it.

Projects: the owner's blueprint project (`kind = blueprint`, no customer tenant: partners
never read it) holds the owner's spec; each partner project (`kind = partner`) links to one
blueprint and to one partner, and is made for that partner's tenant.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.partner.models.base import Base


class Partner(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_tenant_id"),)

    # the partner's own tenant in identity (a client tenant of the owner)
    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    name: Mapped[str] = mapped_column(String(200))
    # what kind of integrator: erp_vendor, retailer, marketplace, logistics, other
    category: Mapped[str] = mapped_column(String(30), default="other")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # active | suspended
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str] = mapped_column(String(255))


class Project(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'blueprint' AND partner_id IS NULL AND blueprint_id IS NULL"
            " AND customer_tenant_id IS NULL) OR (kind = 'partner' AND partner_id IS NOT NULL"
            " AND blueprint_id IS NOT NULL AND customer_tenant_id IS NOT NULL)",
            name="kind_links",
        ),
        Index("ix_projects_tenant_id_kind", "tenant_id", "kind"),
    )

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # blueprint | partner
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner.partners.id"), index=True
    )
    blueprint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner.projects.id"), index=True
    )
    # active | archived
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[str] = mapped_column(String(255))
