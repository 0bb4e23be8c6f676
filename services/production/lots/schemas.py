from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from services.production.lots.gates import LotGate
from services.production.schemas import Body, Schema

__all__ = ["Lot", "LotCreate", "LotFilters", "LotGate", "LotGateHistory", "LotGateMove"]


class Lot(Schema):
    id: uuid.UUID
    number: str
    order_id: uuid.UUID
    order_number: str
    plant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None
    product_sku: str
    quantity: int
    gate: LotGate
    gate_changed_at: datetime
    gate_changed_by: str | None
    qa_round: int = Field(description="Inspection round: how many times it reached qa_pending")
    version: int
    created_at: datetime
    updated_at: datetime


class LotCreate(Body):
    order_id: uuid.UUID
    quantity: int = Field(gt=0, le=10_000_000)
    plant_id: uuid.UUID | None = Field(default=None, description="The order's plant if omitted")
    number: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Made from the order number if omitted (SO-1-L01)",
    )


class LotGateMove(Body):
    to: LotGate
    note: str | None = Field(default=None, max_length=2000)
    override_reason: str | None = Field(
        default=None,
        min_length=3,
        max_length=2000,
        description=(
            "Approve without a passed inspection of the lot's current round: why. Needs "
            "`qa:override` (a QA manager); recorded in the lot's history and the event."
        ),
    )


class LotGateHistory(Schema):
    id: uuid.UUID
    lot_id: uuid.UUID
    from_gate: str | None
    to_gate: str
    actor: str
    note: str | None
    inspection_id: uuid.UUID | None = Field(
        description="The quality inspection whose verdict made the move"
    )
    override_reason: str | None = Field(
        description="Why a QA manager approved without a passed inspection (audited)"
    )
    created_at: datetime


class LotFilters(Body):
    gate: list[LotGate] | None = None
    plant_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
