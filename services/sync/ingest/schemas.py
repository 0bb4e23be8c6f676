from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventIn(BaseModel):
    """An event as it travels (libs.common.outbox.envelope)."""

    id: uuid.UUID
    type: str = Field(min_length=1, max_length=200)
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None = None
    subject: str = Field(max_length=500)
    occurred_at: datetime
    data: dict[str, Any]


class EventBatch(BaseModel):
    events: list[EventIn] = Field(max_length=1000)


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    deliveries: int
