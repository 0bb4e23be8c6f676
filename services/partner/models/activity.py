"""The activity feed of a partner project: one row per step (spec uploaded, diffed,
evidence submitted, review requested / decided, run completed...), newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin
from services.partner.models.base import Base


class Activity(IdMixin, TenantMixin, Base):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_project_id_id", "project_id", "id"),)

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # spec.uploaded, spec.diffed, evidence.submitted, review.requested, run.completed...
    type: Mapped[str] = mapped_column(String(100))
    # owner | partner | system
    actor_side: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
