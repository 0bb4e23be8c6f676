from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class FeedItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    event_id: uuid.UUID
    type: str
    subject: str
    lot_id: uuid.UUID | None
    plant_id: uuid.UUID | None
    customer_tenant_id: uuid.UUID | None
    data: dict[str, Any]
    occurred_at: datetime


class FeedPage(BaseModel):
    items: list[FeedItem]
    # always set: pass it back on the next poll to get what came after
    next_cursor: str
