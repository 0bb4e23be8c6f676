from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AwaitingInspection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str | None
    order_id: uuid.UUID | None
    plant_id: uuid.UUID | None
    customer_tenant_id: uuid.UUID | None
    quantity: int | None
    status: str
    created_at: datetime
