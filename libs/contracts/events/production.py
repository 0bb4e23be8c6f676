"""Events production emits: orders, lots, stages, inventory."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from libs.contracts.base import EventModel, OneOf

# The one vocabulary of lot gates and order statuses. Typed as `str` for producers whose
# columns are plain strings; validated against the vocabulary and published as an enum.
LOT_GATES = ("created", "in_production", "qa_pending", "approved", "rejected", "packed", "shipped")
ORDER_STATUSES = ("pending", "allocated", "production", "qa", "packing", "done", "cancelled")


LotGate = Annotated[str, OneOf(LOT_GATES)]
OrderStatus = Annotated[str, OneOf(ORDER_STATUSES)]


class LotGateReached(EventModel):
    event_type: ClassVar[str] = "production.lot.gate_reached"
    description: ClassVar[str] = (
        "A lot moved to a gate (subject `lots/{lot_id}`). `to` is the gate it reached; "
        "`qa_pending` means it awaits inspection."
    )

    lot_id: uuid.UUID
    lot_number: str
    order_id: uuid.UUID
    order_number: str
    from_gate: LotGate | None = Field(
        validation_alias=AliasChoices("from", "from_gate"),
        serialization_alias="from",
        description="Gate it left (null: the lot was created)",
    )
    to_gate: LotGate = Field(
        validation_alias=AliasChoices("to", "to_gate"),
        serialization_alias="to",
        description="Gate it reached",
    )
    plant_id: uuid.UUID
    quantity: int
    product_sku: str
    actor: str
    note: str | None = None
    inspection_id: uuid.UUID | None = Field(
        default=None, description="The quality inspection whose verdict made this move"
    )
    override_reason: str | None = Field(
        default=None,
        description="Set when a QA manager approved the lot without a passed inspection: why",
    )
    product_version_id: uuid.UUID | None = Field(
        default=None, description="The product version the lot's order is made to"
    )
    product_version: int | None = Field(
        default=None, description="That version's number (1, 2, ...)"
    )


class AllocatedComponent(BaseModel):
    """One stocked component an order reserved (its multi-level BOM, exploded)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    item_id: uuid.UUID
    sku: str
    name: str
    quantity: Decimal = Field(description="For the whole order, in `unit`")
    unit: str = Field(description="The unit the item is stocked in (kg, m, pcs, ...)")


class OrderAllocated(EventModel):
    event_type: ClassVar[str] = "production.order.allocated"
    description: ClassVar[str] = (
        "An order reserved the stock its BOM needs (subject `orders/{order_id}`): what its "
        "lots are made of. A new allocation (after a cancellation) sends the list again."
    )

    order_id: uuid.UUID
    order_number: str
    plant_id: uuid.UUID
    product_id: uuid.UUID
    product_version_id: uuid.UUID
    product_sku: str
    quantity: int = Field(description="Units of the product the order is for")
    components: list[AllocatedComponent]


class OrderStatusChanged(EventModel):
    event_type: ClassVar[str] = "production.order.status_changed"
    description: ClassVar[str] = "A customer order changed status (subject `orders/{order_id}`)."

    order_id: uuid.UUID
    number: str
    from_status: OrderStatus = Field(
        validation_alias=AliasChoices("from", "from_status"), serialization_alias="from"
    )
    to_status: OrderStatus = Field(
        validation_alias=AliasChoices("to", "to_status"), serialization_alias="to"
    )
    plant_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    progress: int = Field(ge=0, le=100)
    reason: str | None = None
    actor: str


class StageCompleted(EventModel):
    event_type: ClassVar[str] = "production.stage.completed"
    description: ClassVar[str] = (
        "A stage of a production order was completed "
        "(subject `production_orders/{production_order_id}/stages/{stage_execution_id}`)."
    )

    production_order_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    stage_execution_id: uuid.UUID
    seq: int
    name: str
    plant_id: uuid.UUID
    actuals: list[dict[str, Any]] = Field(default_factory=list)
    operator: str | None = None
    production_order_status: str = Field(description="pending, active, blocked or completed")


class InventoryBelowReorderLevel(EventModel):
    event_type: ClassVar[str] = "production.inventory.below_reorder_level"
    description: ClassVar[str] = (
        "Stock of an item fell below its reorder level (subject `inventory_items/{item_id}`)."
    )

    item_id: uuid.UUID
    plant_id: uuid.UUID
    sku: str
    on_hand: Decimal
    allocated: Decimal
    available: Decimal
    reorder_level: Decimal
    reorder_quantity: Decimal


__all__ = [
    "LOT_GATES",
    "ORDER_STATUSES",
    "AllocatedComponent",
    "InventoryBelowReorderLevel",
    "LotGate",
    "LotGateReached",
    "OrderAllocated",
    "OrderStatus",
    "OrderStatusChanged",
    "StageCompleted",
]
