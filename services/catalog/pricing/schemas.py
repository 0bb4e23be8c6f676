from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.catalog.money import ROUNDING_MODES
from services.catalog.web import Amount, Body, Quantity, Schema

ScopeType = Literal["global", "org", "channel", "org_channel"]
Selector = Literal["sku", "category", "all"]
RuleType = Literal["fixed", "margin", "discount"]
RoundingMode = Literal["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]
assert set(RoundingMode.__args__) == set(ROUNDING_MODES)  # type: ignore[attr-defined]


class Tier(BaseModel):
    min_quantity: Quantity
    value: Amount


class PriceRule(Schema):
    id: uuid.UUID
    price_book_id: uuid.UUID
    selector: Selector
    sku_id: uuid.UUID | None
    category: str | None
    rule_type: RuleType
    value: Decimal
    tiers: list[dict[str, Any]]
    priority: int
    created_at: datetime


class PriceRuleCreate(Body):
    """fixed: `value` is the unit price; margin: percent over the SKU's cost; discount:
    percent off the base price. `tiers` replace `value` from a quantity on."""

    selector: Selector
    sku_id: uuid.UUID | None = None
    category: str | None = Field(default=None, max_length=120)
    rule_type: RuleType
    value: Amount = Field(ge=0, examples=["950.00"])
    tiers: list[Tier] = []
    priority: int = Field(default=100, ge=0, le=10_000, description="Lower wins a tie")

    @model_validator(mode="after")
    def _selector(self) -> PriceRuleCreate:
        if self.selector == "sku" and (self.sku_id is None or self.category is not None):
            raise ValueError("a sku selector names sku_id (and no category)")
        if self.selector == "category" and (self.category is None or self.sku_id is not None):
            raise ValueError("a category selector names category (and no sku_id)")
        if self.selector == "all" and (self.sku_id is not None or self.category is not None):
            raise ValueError("an all selector names neither sku_id nor category")
        if self.rule_type == "discount" and (
            self.value > 100 or any(t.value > 100 for t in self.tiers)
        ):
            raise ValueError("a discount is a percentage between 0 and 100")
        mins = [t.min_quantity for t in self.tiers]
        if len(set(mins)) != len(mins):
            raise ValueError("tiers need distinct min_quantity")
        self.tiers = sorted(self.tiers, key=lambda t: t.min_quantity)
        return self


class PriceBook(Schema):
    id: uuid.UUID
    name: str
    scope_type: ScopeType
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    currency: str
    rounding_mode: RoundingMode
    effective_from: datetime
    effective_to: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PriceBookCreate(Body):
    name: str = Field(min_length=1, max_length=255, examples=["Dealer channel 2026"])
    scope_type: ScopeType
    org_id: uuid.UUID | None = None
    channel_id: uuid.UUID | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    rounding_mode: RoundingMode = "half_up"
    effective_from: datetime
    effective_to: datetime | None = None
    rules: list[PriceRuleCreate] = Field(default=[], max_length=1000)

    @model_validator(mode="after")
    def _window(self) -> PriceBookCreate:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class PriceBookUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    rounding_mode: RoundingMode | None = None
    effective_from: datetime | None = None
    effective_to: datetime | None = None


class ResolveRequest(Body):
    sku_ids: list[uuid.UUID] = Field(min_length=1, description="One SKU or many (up to 1,000)")
    org_id: uuid.UUID | None = Field(
        default=None, description="The buying organisation (a client tenant: its own)"
    )
    channel_id: uuid.UUID | None = None
    quantity: Quantity = Decimal(1)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    at: datetime | None = Field(default=None, description="The moment (default: now)")


class BookRef(BaseModel):
    id: uuid.UUID
    name: str
    scope_type: ScopeType
    version: int
    rounding_mode: str


class RuleRef(BaseModel):
    id: uuid.UUID
    selector: Selector
    rule_type: RuleType
    value: Decimal
    tier_min_quantity: Decimal | None


class Candidate(BaseModel):
    book: BookRef
    rule: RuleRef
    outcome: Literal["won", "applied", "beaten", "skipped"]
    reason: str


class Resolution(BaseModel):
    """The price of one SKU and why: the winning book and rule, the discount applied, and
    every candidate it beat (with the reason)."""

    sku_id: uuid.UUID
    sku_code: str
    currency: str
    quantity: Decimal
    found: bool
    unit_price: Decimal | None
    total: Decimal | None
    book: BookRef | None
    rule: RuleRef | None
    discount: Candidate | None
    books_considered: list[BookRef]
    candidates: list[Candidate]
    explanation: list[str]


class ResolveResponse(BaseModel):
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    currency: str
    at: datetime
    items: list[Resolution]


AgreementKind = Literal["warranty", "amc", "subscription", "distribution"]
AgreementStatus = Literal["draft", "active", "suspended", "terminated", "expired"]


class Agreement(Schema):
    id: uuid.UUID
    name: str
    party_a_org_id: uuid.UUID | None
    party_b_org_id: uuid.UUID | None
    kind: AgreementKind
    scope: dict[str, Any] = Field(description="What it covers: skus, categories, products")
    terms: dict[str, Any] = Field(description="e.g. warranty_months, response_hours")
    status: AgreementStatus
    effective_from: datetime
    effective_to: datetime | None
    created_at: datetime
