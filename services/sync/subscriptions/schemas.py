from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.sync.delivery.matching import FILTER_RE


def _check_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return value
    for t in value:
        if not FILTER_RE.match(t):
            raise ValueError(f"{t!r} is not an event type filter (e.g. production.lot.* or *)")
    return sorted(set(value))


class EndpointCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://erp.example.com/webhooks"])
    event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=100,
        description="Exact types or wildcards: production.lot.*, *",
    )
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True

    _types = field_validator("event_types")(_check_types)


class EndpointUpdate(BaseModel):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None

    _types = field_validator("event_types")(_check_types)


class Endpoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    scope: str = Field(description="own: the tenant's events; customer: events made for it")
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="whsec_ signing secret; shown only here")


class SecretRotated(BaseModel):
    secret: str = Field(description="The new whsec_ secret; shown only here")
    previous_secret_expires_at: datetime = Field(
        description="Until then deliveries carry signatures with both the old and the new secret"
    )


class MessageQueued(BaseModel):
    message_id: uuid.UUID
    deliveries: int = 1


class RecoverRequest(BaseModel):
    since: datetime


class ReplayRequest(BaseModel):
    since: datetime
    until: datetime | None = None


class Count(BaseModel):
    count: int


class ResendRequest(BaseModel):
    endpoint_id: uuid.UUID


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    delivery_id: uuid.UUID
    message_id: uuid.UUID = Field(description="The event delivered (its `webhook-id`)")
    endpoint_id: uuid.UUID
    attempted_at: datetime
    success: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None = Field(description="First 2 KB of the response")

    @classmethod
    def of(cls, row: Any) -> AttemptOut:
        return cls.model_validate({**_columns(row), "message_id": row.event_id})


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    message_id: uuid.UUID = Field(description="The event delivered (its `webhook-id`)")
    endpoint_id: uuid.UUID
    status: str = Field(description="pending, succeeded or failed (dead-lettered)")
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> DeliveryOut:
        return cls.model_validate({**_columns(row), "message_id": row.event_id})


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}
