from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.quality.sampling.schemas import SamplingSpec

Category = Literal["Visual", "Dimensional", "Functional", "Packaging"]
CheckType = Literal["pass_fail", "measurement", "photo"]


class ChecklistItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    label: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    position: int | None = Field(None, ge=0, le=10_000)
    mandatory: bool = True
    check_type: CheckType = "pass_fail"
    target: Decimal | None = Field(None, max_digits=18, decimal_places=6)
    tolerance: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    unit: str | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _measurement(self) -> ChecklistItemCreate:
        if self.check_type == "measurement" and (
            self.target is None or self.tolerance is None or not self.unit
        ):
            raise ValueError("a measurement needs target, tolerance and unit")
        return self


class ChecklistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_sku: str = Field(min_length=1, max_length=100)
    product_version: str = Field(
        "1",
        min_length=1,
        max_length=50,
        description=(
            "The product version in production: its number (`1`, `2`) or its id. A lot's "
            "inspection uses its version's active checklist, else the product's newest one."
        ),
    )
    name: str = Field(min_length=1, max_length=255)
    sampling: SamplingSpec | None = None
    items: list[ChecklistItemCreate] = Field(min_length=1, max_length=200)


class ChecklistItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category: Category
    label: str
    description: str | None
    position: int
    mandatory: bool
    check_type: CheckType
    target: Decimal | None
    tolerance: Decimal | None
    unit: str | None


class Checklist(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    product_sku: str
    product_version: str
    name: str
    status: Literal["active", "retired"]
    sampling: SamplingSpec | None
    items: list[ChecklistItem]
    version: int
    created_at: datetime
