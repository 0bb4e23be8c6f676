from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from libs.common.freejson import FreeJson
from services.catalog.web import Amount, Body, Schema

Lifecycle = Literal["draft", "active", "discontinued"]
SkuStatus = Literal["active", "inactive", "discontinued"]


class Product(Schema):
    id: uuid.UUID
    manufacturer_org_id: uuid.UUID | None
    code: str
    name: str
    category: str | None
    attributes: dict[str, Any]
    lifecycle_status: Lifecycle
    version: int
    created_at: datetime


class ProductCreate(Body):
    manufacturer_org_id: uuid.UUID | None = Field(
        default=None, description="The manufacturer organisation (none: the tenant itself)"
    )
    code: str = Field(min_length=1, max_length=120, examples=["P-A"])
    name: str = Field(min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=120)
    attributes: FreeJson = {}
    lifecycle_status: Lifecycle = "active"


class ProductUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=120)
    attributes: FreeJson | None = None
    lifecycle_status: Lifecycle | None = None


class Sku(Schema):
    id: uuid.UUID
    product_id: uuid.UUID
    manufacturer_org_id: uuid.UUID | None
    category: str | None
    sku_code: str
    name: str
    attributes: dict[str, Any]
    status: SkuStatus
    cost: Decimal | None
    cost_currency: str | None
    version: int
    created_at: datetime


class SkuCreate(Body):
    product_id: uuid.UUID
    sku_code: str = Field(min_length=1, max_length=120, examples=["S-A1"])
    name: str | None = Field(default=None, max_length=255)
    attributes: FreeJson = {}
    status: SkuStatus = "active"
    cost: Amount | None = Field(default=None, ge=0, description="Unit cost, for margin rules")
    cost_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["EUR"])

    @model_validator(mode="after")
    def _cost(self) -> SkuCreate:
        if (self.cost is None) != (self.cost_currency is None):
            raise ValueError("cost and cost_currency go together")
        return self


class SkuUpdate(Body):
    name: str | None = Field(default=None, max_length=255)
    attributes: FreeJson | None = None
    status: SkuStatus | None = None
    cost: Amount | None = Field(default=None, ge=0)
    cost_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["EUR"])


class Offering(Schema):
    id: uuid.UUID
    sku_id: uuid.UUID
    offer_type: Literal["sale", "subscription", "rental"]
    term: str | None
    service_level: str | None
    conditions: dict[str, Any]
    version: int
    created_at: datetime


class OfferingCreate(Body):
    sku_id: uuid.UUID
    offer_type: Literal["sale", "subscription", "rental"]
    term: str | None = Field(default=None, max_length=40, examples=["P12M"])
    service_level: str | None = Field(default=None, max_length=80)
    conditions: FreeJson = {}


class Equipment(Schema):
    id: uuid.UUID
    serial_number: str
    sku_id: uuid.UUID | None
    manufacturer_org_id: uuid.UUID | None
    owner_org_id: uuid.UUID | None
    site: dict[str, Any]
    region: str | None
    qr_code: str
    version: int
    created_at: datetime


class EquipmentCreate(Body):
    serial_number: str = Field(min_length=1, max_length=120, examples=["E-123"])
    sku_id: uuid.UUID | None = None
    manufacturer_org_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the SKU's manufacturer"
    )
    owner_org_id: uuid.UUID | None = None
    site: FreeJson = {}
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    qr_code: str = Field(
        default_factory=lambda: secrets.token_urlsafe(18),
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The secret printed on the equipment's QR label (generated when absent)",
    )
