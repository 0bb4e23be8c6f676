from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.quality.models.base import Base


class Inspection(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """One inspection round of a lot (a rework brings the lot back for a new round)."""

    __tablename__ = "inspections"
    __table_args__ = (UniqueConstraint("lot_id", "round"),)

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    lot_number: Mapped[str] = mapped_column(String(120))
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    product_sku: Mapped[str | None] = mapped_column(String(100))
    checklist_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checklists.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    inspector_id: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB)
    verdict: Mapped[str | None] = mapped_column(String(10))
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CheckResult(IdMixin, TenantMixin, TimestampMixin, Base):
    """The result of one checklist item on one sample unit."""

    __tablename__ = "check_results"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "unit"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checklist_items.id"))
    unit: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    photo_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(255))


class Defect(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "defects"

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    unit: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checklist_items.id"))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(255))
