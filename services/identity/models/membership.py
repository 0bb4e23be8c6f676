from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin
from services.identity.models.base import Base


class Membership(IdMixin, TenantMixin, TimestampMixin, Base):
    """A role a user holds in a tenant and a space, optionally limited to one plant."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "role_id", "plant_id", postgresql_nulls_not_distinct=True),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("identity.users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("identity.roles.id", ondelete="CASCADE"), index=True, nullable=False
    )
    role_name: Mapped[str] = mapped_column(String(64), nullable=False)
    space: Mapped[str] = mapped_column(String(16), nullable=False)
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
