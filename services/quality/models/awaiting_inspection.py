"""A lot that production moved to QA and that awaits inspection (from the event)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin
from services.quality.models.base import Base


class AwaitingInspection(IdMixin, TenantMixin, Base):
    __tablename__ = "awaiting_inspections"

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    lot_number: Mapped[str | None] = mapped_column(String(120))
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    quantity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="awaiting")
    # the event that told us; unique, so a redelivered event changes nothing
    received_event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
