from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.identity.models.base import Base


class Elevation(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """Break-glass: a user asks for scopes for a while; another admin approves; the user
    re-authenticates to start it. States: pending -> approved | denied; approved -> active
    (started); active -> ended (expired) | revoked; pending/approved -> revoked."""

    __tablename__ = "elevations"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    duration_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    space: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
