from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class EventEnvelope(BaseModel):
    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None = None
    subject: str
    occurred_at: datetime
    data: dict[str, Any]


class IntakeResult(BaseModel):
    status: Literal["recorded", "duplicate", "ignored"]
