from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PassportPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=2000)


class BulkPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_sku: str | None = Field(None, max_length=100)
    customer_tenant_id: uuid.UUID | None = None


class Passport(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str
    gtin: str | None
    version: int
    status: Literal["published", "superseded"]
    superseded_by: uuid.UUID | None
    customer_tenant_id: uuid.UUID | None
    published_at: datetime
    credential: dict[str, Any]


class BulkResult(BaseModel):
    published: list[Passport]
    skipped: int
