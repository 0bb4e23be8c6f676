from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.identity.models.base import Base


class Role(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """A named set of permissions in one tenant, worn in one space."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    # a tenant's roles and users go only with it (the FK the first migration made)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        ForeignKey("identity.tenants.id", name="fk_roles_tenant_id_tenants"),
        index=True,
    )

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    space: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    permissions: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    system: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
