from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from services.production.schemas import Body


class MrpLine(Body):
    plant_id: uuid.UUID
    item_id: uuid.UUID | None = Field(description="None when the SKU is not stocked at the plant")
    sku: str
    name: str | None
    unit: str | None
    on_hand: Decimal
    allocated: Decimal
    available: Decimal
    gross_requirement: Decimal = Field(description="All open orders (pending and allocated)")
    unallocated_requirement: Decimal = Field(description="Pending orders, not reserved yet")
    projected_available: Decimal = Field(description="available - unallocated_requirement")
    net_shortage: Decimal
    reorder_level: Decimal
    reorder_quantity: Decimal
    suggested_purchase: Decimal = Field(
        description="Brings projected stock back to the reorder level, in reorder_quantity lots"
    )
    blocked_order_count: int
    blocked_orders: list[uuid.UUID] = Field(description="Earliest due first, capped")


class MrpSummary(Body):
    open_orders: int
    pending_orders: int
    blocked_orders: int
    items_short: int
    items_to_reorder: int


class MrpPlan(Body):
    plant_id: uuid.UUID | None
    computed_at: datetime
    duration_ms: int
    summary: MrpSummary
    lines: list[MrpLine]


class MrpRun(Body):
    id: uuid.UUID
    created_by: str
    created_at: datetime
    plan: MrpPlan


class MrpRunCreate(Body):
    plant_id: uuid.UUID | None = None
