"""The plan of a partner project (phases with exit criteria, set by the owner), the evidence
the partner attaches per criterion, and readiness reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.partner.models.base import Base


class Phase(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(255))


class Criterion(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """An exit criterion of a phase: open until one of its evidence items is accepted."""

    __tablename__ = "criteria"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    phase_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.phases.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    # open | met
    status: Mapped[str] = mapped_column(String(10), default="open")
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    met_by_evidence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[str] = mapped_column(String(255))


class Evidence(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """Proof for one criterion: a file (presigned upload to the object store), a link, or a
    passing golden test run (by id)."""

    __tablename__ = "evidence"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    criterion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.criteria.id"), index=True)
    # file | link | run
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    object_key: Mapped[str | None] = mapped_column(String(500))
    storage: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # awaiting_upload (file: URL issued) -> submitted -> accepted | rejected
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)


class Review(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """A readiness review the partner requests and the owner decides."""

    __tablename__ = "reviews"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"), index=True)
    # under_review -> approved | changes_requested
    status: Mapped[str] = mapped_column(String(20), default="under_review")
    note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(255))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
