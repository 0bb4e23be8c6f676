from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from services.production.models.base import Base


class TenantCopy(Base):
    """Production's copy of identity's tenant tree (id, parent, kind, name, slug, status),
    fed by `identity.tenant.*` events and by identity's answers on a miss. Never read from
    identity's schema. A row belongs to its parent (row-level security on `parent_id`), so a
    provider sees its own client tenants."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # identity's version of the tenant: an older copy never overwrites a newer one
    source_version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
