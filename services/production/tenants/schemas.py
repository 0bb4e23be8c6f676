from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class TenantEventData(BaseModel):
    """The part of identity's `identity.tenant.*` payload production keeps."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    kind: str = Field(max_length=20)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=63)
    status: str = Field(default="active", max_length=16)
    version: int = 0


class EventEnvelope(BaseModel):
    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None = None
    subject: str
    occurred_at: datetime
    data: dict[str, Any]


class IntakeResult(BaseModel):
    status: Literal["recorded", "ignored"]
