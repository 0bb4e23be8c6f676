from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Material(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    mass_fraction: float | None = Field(None, ge=0, le=1)
    origin_country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    recycled_mass_fraction: float | None = Field(None, ge=0, le=1)


class PassportPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    materials: list[Material] = Field(default_factory=list, max_length=50)
    description: str | None = Field(None, max_length=2000)


class BulkPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_sku: str | None = Field(None, max_length=100)
    customer_tenant_id: uuid.UUID | None = None
    materials: list[Material] = Field(default_factory=list, max_length=50)


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
