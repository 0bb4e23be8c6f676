"""Rows of the import/export files. CSV and JSON carry the same columns; list cells in CSV
are separated by `;`. An export imports back unchanged."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.catalog.orgs.schemas import OrgStatus, OrgType, RelationType

Kind = Literal["organisations", "relationships", "skus"]
Format = Literal["csv", "json"]


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if v == "" else v


def _split(v: Any) -> Any:
    if isinstance(v, str):
        return [p.strip() for p in v.split(";") if p.strip()]
    return [] if v is None else v


class OrganisationRow(Row):
    name: str = Field(min_length=1, max_length=255)
    type: OrgType
    status: OrgStatus = "active"
    regions: list[str] = []
    certifications: list[str] = []
    client_tenant_id: uuid.UUID | None = None

    _lists = field_validator("regions", "certifications", mode="before")(_split)


class RelationshipRow(Row):
    org: str = Field(min_length=1, description="The org's name (the child)")
    relation_type: RelationType
    target: str = Field(min_length=1, description="The target org's name (the parent)")
    active_from: datetime
    active_to: datetime | None = None


class SkuRow(Row):
    manufacturer: str | None = Field(default=None, description="Manufacturer org name")
    product_code: str = Field(min_length=1, max_length=120)
    product_name: str = Field(min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=120)
    sku_code: str = Field(min_length=1, max_length=120)
    sku_name: str | None = Field(default=None, max_length=255)
    status: Literal["active", "inactive", "discontinued"] = "active"
    cost: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    cost_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


ROWS: dict[str, type[Row]] = {
    "organisations": OrganisationRow,
    "relationships": RelationshipRow,
    "skus": SkuRow,
}
COLUMNS: dict[str, list[str]] = {kind: list(model.model_fields) for kind, model in ROWS.items()}


class RowError(BaseModel):
    row: int = Field(description="1-based data row (CSV: after the header)")
    field: str | None
    message: str


class ImportStatus(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Kind
    format: Format
    status: Literal["queued", "running", "succeeded", "failed"]
    job_id: uuid.UUID | None
    total_rows: int | None
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    progress_done: int | None = None
    progress_total: int | None = None
