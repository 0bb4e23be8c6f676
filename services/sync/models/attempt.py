"""Every delivery attempt: time, status code, latency, error, first bytes of the answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin
from services.sync.models.base import Base


class Attempt(IdMixin, Base):
    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_endpoint_id_id", "endpoint_id", "id"),
        Index("ix_attempts_event_id_id", "event_id", "id"),
    )

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    success: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
