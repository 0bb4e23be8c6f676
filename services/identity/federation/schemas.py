from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, UrlConstraints


class FederationInstance(BaseModel):
    """What a peer registers to accept this instance's signed requests."""

    key_id: str
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str = Field(description="PEM (SubjectPublicKeyInfo)")
    inbound_path: str = Field(description="Where peers send signed requests, under the gateway")
    enabled: bool


class PeerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    base_url: Annotated[HttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="The peer's identity API as this instance calls it, e.g. "
        "`https://portal.example/v1/identity`"
    )
    public_key: str = Field(
        min_length=40, max_length=1000, description="The peer's key (its `/federation/instance`)"
    )
    roles: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=20,
        description="Local role names the peer's signed requests act with: local policy "
        "decides, the peer's own claims are never read",
    )
    link_tenants: bool = Field(
        default=False, description="Link every tenant provisioned here to this peer"
    )


class Peer(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    base_url: str
    key_id: str
    roles: list[str]
    link_tenants: bool
    created_at: datetime


class Link(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    peer_id: uuid.UUID
    direction: Literal["outbound", "inbound"]
    tenant_ref: uuid.UUID = Field(
        description="The linked tenant: ours (outbound), theirs (inbound)"
    )
    tenant_name: str
    remote_link_id: uuid.UUID | None
    status: Literal["pending", "linked", "failed"]
    attempts: int
    last_error: str | None
    linked_at: datetime | None
    created_at: datetime


class PeerGrant(BaseModel):
    """What local policy lets a signed peer do: its mapped local roles, nothing it claims."""

    peer_id: uuid.UUID
    subject: str
    tenant_id: uuid.UUID
    roles: list[str]
    permissions: list[str]


class PingResult(BaseModel):
    peer_id: uuid.UUID
    status: int
    answer: Any = Field(description="What the peer answered (its view of this instance)")


class InboundPing(BaseModel):
    # a peer may send anything; role or permission claims are ignored, never trusted
    model_config = ConfigDict(extra="ignore")

    message: str | None = Field(default=None, max_length=500)


class InboundLinkRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: uuid.UUID = Field(description="The tenant on the sending instance")
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=100)
    kind: str | None = Field(default=None, max_length=32)


class InboundLink(BaseModel):
    link_id: uuid.UUID
    status: Literal["linked"]
    tenant_ref: uuid.UUID
