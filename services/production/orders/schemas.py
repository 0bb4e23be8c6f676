from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, computed_field

from libs.common.money import money
from services.production.schemas import Body, Currency, Money, MoneyAmount, Schema

OrderStatus = Literal["pending", "allocated", "production", "qa", "packing", "done", "cancelled"]


class Order(Schema):
    id: uuid.UUID
    number: str
    customer_tenant_id: uuid.UUID | None
    customer_name: str | None
    plant_id: uuid.UUID
    product_id: uuid.UUID
    product_version_id: uuid.UUID
    product_sku: str
    product_name: str
    quantity: int
    unit_price: Money = Field(description="Decimal string, in `currency`")
    currency: str
    due_date: date
    status: OrderStatus
    progress: int = Field(description="Percent complete, 0 to 100")
    notes: str | None
    cancel_reason: str | None
    completed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_price(self) -> Money:
        return money(self.unit_price * self.quantity)


class OrderCreate(Body):
    number: str = Field(min_length=1, max_length=100, examples=["SO-2026-0001"])
    customer_tenant_id: uuid.UUID | None = Field(
        default=None, description="The client tenant (brand) the order is made for"
    )
    customer_name: str | None = Field(default=None, max_length=255)
    plant_id: uuid.UUID | None = Field(default=None, description="Default plant if omitted")
    product_id: uuid.UUID
    product_version_id: uuid.UUID | None = Field(
        default=None, description="A released version; the latest released if omitted"
    )
    quantity: int = Field(gt=0, le=10_000_000)
    unit_price: MoneyAmount
    currency: Currency
    due_date: date
    notes: str | None = Field(default=None, max_length=4000)


class OrderUpdate(Body):
    customer_name: str | None = Field(default=None, max_length=255)
    due_date: date | None = None
    notes: str | None = Field(default=None, max_length=4000)


class OrderTransition(Body):
    to: OrderStatus
    reason: str | None = Field(default=None, max_length=2000)


class OrderCancel(Body):
    reason: str | None = Field(default=None, max_length=2000)


class Allocation(Schema):
    id: uuid.UUID
    order_id: uuid.UUID
    item_id: uuid.UUID
    quantity: Decimal
    status: str


class Shortage(Body):
    item_id: uuid.UUID | None
    sku: str
    required: Decimal
    available: Decimal
    short: Decimal


class OrderFilters(Body):
    status: list[OrderStatus] | None = None
    plant_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    customer_tenant_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    due_from: date | None = None
    due_to: date | None = None
