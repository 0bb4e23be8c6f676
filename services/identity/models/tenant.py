from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin
from services.identity.models.base import Base


class Tenant(IdMixin, TimestampMixin, VersionMixin, Base):
    """A node of the tenant tree: operator -> providers -> client tenants."""

    __tablename__ = "tenants"

    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("identity.tenants.id"), index=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # operator | provider | client
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    logo_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    plan: Mapped[str | None] = mapped_column(String(50), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(50), nullable=True)
    external_customer_id: Mapped[str | None] = mapped_column(
        String(200), nullable=True, unique=True
    )
    features: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    defaults: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
