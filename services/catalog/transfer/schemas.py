"""Rows of the import/export files. CSV and JSON carry the same columns; list cells in CSV
are separated by `;`. An export imports back unchanged."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.catalog.orgs.schemas import OrgStatus, OrgType, RelationType
from services.catalog.pricing.schemas import (
    AgreementKind,
    AgreementStatus,
    RoundingMode,
    RuleType,
    ScopeType,
    Selector,
)

Kind = Literal["organisations", "relationships", "skus", "price_books", "agreements"]
Format = Literal["csv", "json"]


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        # an empty CSV cell (or a JSON null) is a column left out: its default applies
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != "" and v is not None}
        return data


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


class PriceBookRow(Row):
    """One rule of a book per row; the book's columns repeat on each of its rows (a row with
    no `selector` is a book without rules). A book is known by its scope (scope_type, org,
    channel), currency and effective_from (windows of one scope never overlap); the file
    states each book's whole rule set, so importing it again changes nothing."""

    book: str = Field(min_length=1, max_length=255, description="The book's name")
    scope_type: ScopeType
    org: str | None = Field(default=None, description="The org's name (org, org_channel)")
    channel: str | None = Field(default=None, description="The channel's name")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rounding_mode: RoundingMode = "half_up"
    effective_from: datetime
    effective_to: datetime | None = None
    selector: Selector | None = None
    sku_manufacturer: str | None = Field(default=None, description="The SKU's manufacturer")
    sku_code: str | None = Field(default=None, max_length=120)
    category: str | None = Field(default=None, max_length=120)
    rule_type: RuleType | None = None
    value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    tiers: list[str] = Field(default=[], description="min_quantity:value pairs, e.g. 10:900")
    priority: int = Field(default=100, ge=0, le=10_000)

    _lists = field_validator("tiers", mode="before")(_split)

    @model_validator(mode="after")
    def _rule(self) -> PriceBookRow:
        if self.selector is None:
            if self.rule_type is not None or self.value is not None or self.sku_code:
                raise ValueError("a rule needs a selector")
            return self
        if self.rule_type is None or self.value is None:
            raise ValueError("a rule needs rule_type and value")
        if (self.selector == "sku") != (self.sku_code is not None):
            raise ValueError("a sku selector names sku_code (and only it does)")
        if (self.selector == "category") != (self.category is not None):
            raise ValueError("a category selector names category (and only it does)")
        for tier in self.tiers:
            q, _, v = tier.partition(":")
            try:
                Decimal(q), Decimal(v)
            except ArithmeticError:
                raise ValueError(f"a tier is min_quantity:value, not {tier!r}") from None
        return self


def _json_object(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return orjson.loads(v)
        except orjson.JSONDecodeError:
            raise ValueError('a JSON object, e.g. {"warranty_months": 24}') from None
    return v


class AgreementRow(Row):
    """An agreement, known by its name; `scope` and `terms` are JSON objects (in CSV, JSON
    text in the cell)."""

    name: str = Field(min_length=1, max_length=255)
    kind: AgreementKind
    party_a: str | None = Field(default=None, description="The first party's org name")
    party_b: str | None = Field(default=None, description="The second party's org name")
    status: AgreementStatus = "active"
    effective_from: datetime
    effective_to: datetime | None = None
    scope: dict[str, Any] = {}
    terms: dict[str, Any] = {}

    _objects = field_validator("scope", "terms", mode="before")(_json_object)


ROWS: dict[str, type[Row]] = {
    "organisations": OrganisationRow,
    "relationships": RelationshipRow,
    "skus": SkuRow,
    "price_books": PriceBookRow,
    "agreements": AgreementRow,
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
    size_bytes: int = Field(description="The uploaded file's size")
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
