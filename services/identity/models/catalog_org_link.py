from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import TimestampMixin
from services.identity.models.base import Base


class CatalogOrgLink(TimestampMixin, Base):
    """The catalog organisation a client tenant acts as (a dealer, a distributor), learned
    from catalog's `catalog.organisation.linked` events; its tokens carry `org_id` and
    `org_type` while `active`. One row per client tenant (the row's `tenant_id`)."""

    __tablename__ = "catalog_org_links"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    provider_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    org_type: Mapped[str] = mapped_column(String(32), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
