from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None
    subject: str
    occurred_at: datetime
    data: dict[str, Any]
