from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.quality.models.base import Base


class Checklist(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """The checks for one product version. Inspections keep pointing at the checklist they
    used; a change of checks is a new checklist, the old one retired."""

    __tablename__ = "checklists"

    product_sku: Mapped[str] = mapped_column(String(100), index=True)
    product_version: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    sampling: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    items: Mapped[list[ChecklistItem]] = relationship(
        lazy="raise", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )


class ChecklistItem(IdMixin, TenantMixin, Base):
    __tablename__ = "checklist_items"

    checklist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklists.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=True)
    check_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    tolerance: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    unit: Mapped[str | None] = mapped_column(String(20))
