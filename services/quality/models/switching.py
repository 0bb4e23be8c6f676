"""ISO 2859-1 switching: where each product stands (normal, tightened, reduced,
discontinued) and the counters that move it (services/quality/switching/rules.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, PrimaryKeyConstraint, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import TimestampMixin, VersionMixin
from services.quality.models.base import Base


class SwitchingState(TimestampMixin, VersionMixin, Base):
    """One per (tenant, product SKU): the lots of one product are one sequence."""

    __tablename__ = "switching_states"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "product_sku"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    product_sku: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="normal")
    score: Mapped[int] = mapped_column(Integer, default=0)
    # outcomes of the last lots on normal inspection, oldest first (true: accepted)
    recent: Mapped[list[bool]] = mapped_column(JSONB, default=list)
    consecutive_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected_on_tightened: Mapped[int] = mapped_column(Integer, default=0)
    production_steady: Mapped[bool] = mapped_column(Boolean, default=True)
    reduced_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    lots: Mapped[int] = mapped_column(Integer, default=0)
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the last switches, newest last: [{from, to, reason, at, inspection_id?, by?}]
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
