"""Traces: one row per HTTP exchange a partner project made, with a mock (`source = mock`)
or during a golden test run (`source = run`). Written by `services.partner.traces`
(`record_trace`); request and response are kept bounded and redacted."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin
from services.partner.models.base import Base

__all__ = ["Trace"]


class Trace(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "traces"
    __table_args__ = (Index("ix_traces_project_id_id", "project_id", "id"),)

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"))
    # mock | run
    source: Mapped[str] = mapped_column(String(10))
    mock_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    operation_id: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float)
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actor: Mapped[str | None] = mapped_column(String(255))
