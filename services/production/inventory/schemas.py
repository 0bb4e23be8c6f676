from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, computed_field, model_validator

from services.production.schemas import (
    Body,
    Currency,
    Money,
    MoneyAmount,
    NonNegQty,
    Schema,
    SignedQty,
)


class InventoryItem(Schema):
    id: uuid.UUID
    plant_id: uuid.UUID
    sku: str
    name: str
    unit: str
    on_hand: Decimal
    allocated: Decimal
    reorder_level: Decimal
    reorder_quantity: Decimal
    unit_cost: Money = Field(description="Decimal string, in `currency`")
    currency: str
    location: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated

    @computed_field  # type: ignore[prop-decorator]
    @property
    def below_reorder_level(self) -> bool:
        return self.reorder_level > 0 and self.on_hand - self.allocated < self.reorder_level


class InventoryItemCreate(Body):
    plant_id: uuid.UUID | None = Field(default=None, description="Default plant if omitted")
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=255)
    unit: str = Field(default="pcs", min_length=1, max_length=30)
    reorder_level: NonNegQty = Decimal("0")
    reorder_quantity: NonNegQty = Decimal("0")
    unit_cost: MoneyAmount = Decimal("0")
    currency: Currency = "EUR"
    location: str | None = Field(default=None, max_length=100)
    initial_quantity: NonNegQty = Field(
        default=Decimal("0"), description="Stock on hand at creation (a receipt in the ledger)"
    )


class InventoryItemUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    unit: str | None = Field(default=None, min_length=1, max_length=30)
    reorder_level: NonNegQty | None = None
    reorder_quantity: NonNegQty | None = None
    unit_cost: MoneyAmount | None = None
    currency: Currency | None = None
    location: str | None = Field(default=None, max_length=100)


MovementKind = Literal["receipt", "issue", "adjustment", "return"]


class MovementCreate(Body):
    kind: MovementKind
    quantity: SignedQty = Field(
        description="Positive amount; for an adjustment, the signed change of on_hand"
    )
    reference: str | None = Field(default=None, max_length=255)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _sign(self) -> MovementCreate:
        if self.kind == "adjustment":
            if self.quantity == 0:
                raise ValueError("an adjustment must change the stock")
            if not self.note:
                raise ValueError("an adjustment needs a note (the reason)")
        elif self.quantity <= 0:
            raise ValueError("quantity must be positive")
        return self


class LedgerEntry(Schema):
    id: uuid.UUID
    item_id: uuid.UUID
    plant_id: uuid.UUID
    kind: str
    quantity: Decimal
    on_hand_delta: Decimal
    allocated_delta: Decimal
    on_hand_after: Decimal
    allocated_after: Decimal
    actor: str
    reference: str | None
    note: str | None
    created_at: datetime | None = None


class ItemFilters(Body):
    plant_id: uuid.UUID | None = None
    sku: str | None = Field(default=None, max_length=100)
    below_reorder_level: bool | None = None
