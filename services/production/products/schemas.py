from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from services.production.schemas import Body, PositiveQty, Schema


class ParameterTarget(Body):
    name: str = Field(min_length=1, max_length=100, examples=["glue temperature"])
    target: str = Field(max_length=100, examples=["180"])
    unit: str | None = Field(default=None, max_length=30, examples=["C"])
    tolerance: str | None = Field(default=None, max_length=50, examples=["5"])


class StageIn(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    estimated_minutes: int | None = Field(default=None, ge=0, le=100_000)
    steps: list[str] = Field(default_factory=list, max_length=100)
    parameters: list[ParameterTarget] = Field(default_factory=list, max_length=100)


class BomLineIn(Body):
    """A component: an inventory SKU (`sku` or `item_id`) or a sub-assembly (`product_id`)."""

    sku: str | None = Field(default=None, min_length=1, max_length=100)
    item_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    quantity: PositiveQty = Field(description="Per one unit of the parent")
    unit: str | None = Field(default=None, max_length=30)
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_component(self) -> BomLineIn:
        if sum(x is not None for x in (self.sku, self.item_id, self.product_id)) != 1:
            raise ValueError("give exactly one of sku, item_id, product_id")
        return self


class ProductCreate(Body):
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, max_length=100)
    unit: str = Field(default="pcs", max_length=30)
    notes: str | None = Field(default=None, max_length=4000)
    bom: list[BomLineIn] = Field(default_factory=list, max_length=500)
    stages: list[StageIn] = Field(default_factory=list, max_length=100)


class ProductUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, max_length=100)


class ProductVersionCreate(Body):
    """A new draft version; BOM and stages are copied from the latest version if omitted."""

    notes: str | None = Field(default=None, max_length=4000)
    bom: list[BomLineIn] | None = Field(default=None, max_length=500)
    stages: list[StageIn] | None = Field(default=None, max_length=100)


class ProductVersionUpdate(Body):
    notes: str | None = Field(default=None, max_length=4000)
    bom: list[BomLineIn] | None = Field(default=None, max_length=500)
    stages: list[StageIn] | None = Field(default=None, max_length=100)


class BomLine(Schema):
    id: uuid.UUID
    line_no: int
    component_sku: str | None
    component_product_id: uuid.UUID | None
    quantity: Decimal
    unit: str | None
    notes: str | None


class Stage(Schema):
    id: uuid.UUID
    seq: int
    name: str
    description: str | None
    estimated_minutes: int | None
    steps: list[str]
    parameters: list[dict[str, Any]]


class ProductVersion(Schema):
    id: uuid.UUID
    product_id: uuid.UUID
    number: int
    status: str
    notes: str | None
    released_at: datetime | None
    released_by: str | None
    version: int
    created_at: datetime
    bom: list[BomLine] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)


class ProductVersionSummary(Schema):
    id: uuid.UUID
    number: int
    status: str
    released_at: datetime | None


class Product(Schema):
    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    category: str | None
    unit: str
    version: int
    created_at: datetime
    updated_at: datetime
    versions: list[ProductVersionSummary] = Field(default_factory=list)


class ExplosionLine(Body):
    sku: str
    unit: str | None = Field(
        default=None, description="The SKU's stock unit (the BOM's unit when not stocked)"
    )
    quantity_per_unit: Decimal
    quantity: Decimal


class Explosion(Body):
    product_id: uuid.UUID
    product_version_id: uuid.UUID
    quantity: Decimal
    lines: list[ExplosionLine]
