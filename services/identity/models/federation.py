"""Federation with peer Weft instances (services/identity/federation): this instance's
signing key, the peers a provider registered, the tenant links between them, and the
nonces of signed requests received (the kit's replay store)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.ids import new_id
from libs.common.models import TimestampMixin
from services.identity.models.base import Base


class FederationKey(Base):
    """This instance's Ed25519 key for signed requests to peers; the private half is
    Fernet-encrypted like the token signing keys. Not tenant-owned: one per instance."""

    __tablename__ = "federation_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class FederationPeer(TimestampMixin, Base):
    """A peer instance a provider linked to: its address, its public key (the key id is its
    thumbprint: one registration per key on this instance) and the local roles its signed
    requests act with. A peer's own claims about roles are never read."""

    __tablename__ = "federation_peers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    base_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    public_key: Mapped[str] = mapped_column(Text, nullable=False)
    roles: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    link_tenants: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class FederationLink(TimestampMixin, Base):
    """A tenant linked across instances. `outbound`: a client tenant provisioned here,
    announced to the peer (pending until the peer answers; retried by a job).
    `inbound`: a peer's tenant announced to this instance. `tenant_ref` is the tenant
    being linked (ours when outbound, the peer's when inbound)."""

    __tablename__ = "federation_links"
    __table_args__ = (Index(None, "peer_id", "direction", "tenant_ref", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    peer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    direction: Mapped[str] = mapped_column(String(16), nullable=False)  # outbound | inbound
    tenant_ref: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    tenant_name: Mapped[str] = mapped_column(String(200), nullable=False)
    remote_link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending | linked | failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
