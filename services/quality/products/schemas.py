from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from services.quality.sampling.schemas import SamplingSpec

# a product's SKU, or the id quality gave the product
Sku = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class QualitySettings(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tenant_id: uuid.UUID
    sampling: SamplingSpec
    name: str | None
    logo_url: str | None
    issuer_did: str | None


class QualitySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sampling: SamplingSpec | None = None
    # the industry template's code (`aql_1_0`), an alternative to `sampling`
    sampling_code: str | None = Field(None, pattern=r"^aql_\d+_\d+$", examples=["aql_1_0"])
    name: str | None = Field(None, max_length=255)
    logo_url: HttpUrl | None = None
    issuer_did: str | None = Field(None, pattern=r"^did:web:[A-Za-z0-9.%:_-]+$", max_length=500)


class Product(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sku: str
    name: str | None
    gtin: str | None
    sampling: SamplingSpec | None
    updated_at: datetime


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=255)
    gtin: str | None = Field(None, pattern=r"^\d{8}$|^\d{12,14}$", examples=["09506000134352"])
    sampling: SamplingSpec | None = None
