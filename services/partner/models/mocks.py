"""Mock servers of spec versions (services/partner/mocks).

A mock belongs to a partner project: owned by the owner (`tenant_id`), made for the
partner's tenant (`customer_tenant_id`), so the client rule decides who starts, calls and
stops it. It serves one spec version while `status` is `running`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.partner.models.base import Base

__all__ = ["Mock"]


class Mock(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "mocks"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"), index=True)
    spec_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.spec_versions.id"))
    # running | stopped
    status: Mapped[str] = mapped_column(String(20), default="running")
    calls: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(255))
    stopped_by: Mapped[str | None] = mapped_column(String(255))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
