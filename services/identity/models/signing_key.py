from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.identity.models.base import Base


class SigningKey(Base):
    """An ES256 key pair; the private half is Fernet-encrypted. Not tenant-owned."""

    __tablename__ = "signing_keys"
    # at most one current key
    __table_args__ = (
        Index(
            "uq_signing_keys_current",
            "status",
            unique=True,
            postgresql_where=text("status = 'current'"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # current | previous
    private_key_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
