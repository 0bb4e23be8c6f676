"""Service policies, engineers, tickets and their escalation steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin, utcnow
from services.catalog.models.base import Base, TenantMixin


class ServicePolicy(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "service_policies"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "scope",
            "org_id",
            name="uq_service_policies_scope",
            postgresql_nulls_not_distinct=True,
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(20))  # global | org | manufacturer
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Engineer(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "engineers"
    __table_args__ = (Index("ix_engineers_tenant", "tenant_id", "id"),)

    name: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    certifications: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    available: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_tenant", "tenant_id", "id"),
        Index("ix_tickets_responsible", "responsible_org_id"),
        Index(
            "ix_tickets_due",
            "response_due_at",
            postgresql_where=text("status = 'open' AND NOT breached"),
        ),
    )

    equipment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.equipment.id"))
    source: Mapped[str] = mapped_column(String(20))  # qr | user
    severity: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    reporter: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="open")
    responsible_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_engineer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    coverage_policy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # how the responsible org was chosen: policy, rule, candidates, escalation path
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    escalation_path: Mapped[list[str]] = mapped_column(JSONB, default=list)
    level: Mapped[int] = mapped_column(Integer, default=0)
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    breached: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketEscalation(IdMixin, TenantMixin, Base):
    __tablename__ = "ticket_escalations"
    __table_args__ = (Index("ix_ticket_escalations_ticket", "ticket_id", "level"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.tickets.id"))
    level: Mapped[int] = mapped_column(Integer)
    from_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    to_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(255))
    escalated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
