from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin, utcnow
from services.production.models.base import Base

WORK_STATUSES = "status IN ('pending','active','blocked','completed')"


class ProductionOrder(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "production_orders"
    __table_args__ = (CheckConstraint(WORK_STATUSES, name="status_known"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), unique=True)
    plant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255))


class StageExecution(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "stage_executions"
    __table_args__ = (CheckConstraint(WORK_STATUSES, name="status_known"),)

    production_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("production_orders.id"), index=True
    )
    process_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_stages.id"))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    actuals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LabourEntry(IdMixin, TenantMixin, Base):
    __tablename__ = "labour_entries"
    __table_args__ = (
        # One open clock per operator and stage.
        Index(
            "uq_labour_entries_open",
            "stage_execution_id",
            "operator",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    stage_execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stage_executions.id"), index=True
    )
    production_order_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    operator: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LabourClockWrite(IdMixin, TenantMixin, Base):
    """Every clock write, kept: the labour clock is last-write-wins by the time the worker
    clocked, and a write that lost (`superseded`) stays here as history."""

    __tablename__ = "labour_clock_writes"
    __table_args__ = (
        CheckConstraint("kind IN ('in','out')", name="kind_known"),
        CheckConstraint("outcome IN ('applied','superseded')", name="outcome_known"),
    )

    labour_entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("labour_entries.id"), index=True)
    stage_execution_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    production_order_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    operator: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(3))
    clocked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=text("now()")
    )
    outcome: Mapped[str] = mapped_column(String(12))
