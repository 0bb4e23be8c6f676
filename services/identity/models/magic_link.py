from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin
from services.identity.models.base import Base


class MagicLink(IdMixin, TenantMixin, TimestampMixin, Base):
    """A one-time sign-in link of a magic-link invite (partners sign in without a password):
    bound to the invite and its email, short-lived, single use; the token is kept only as
    its sha256."""

    __tablename__ = "magic_links"

    invite_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("identity.invites.id", ondelete="CASCADE"), index=True, nullable=False
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
