from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from services.production.schemas import Body, Schema

WorkStatus = Literal["pending", "active", "blocked", "completed"]


class StageExecution(Schema):
    id: uuid.UUID
    production_order_id: uuid.UUID
    process_stage_id: uuid.UUID
    seq: int
    name: str
    status: WorkStatus
    assigned_to: str | None
    targets: list[dict[str, Any]]
    actuals: list[dict[str, Any]]
    notes: str | None
    blocked_reason: str | None
    started_at: datetime | None
    completed_at: datetime | None
    version: int


class ProductionOrder(Schema):
    id: uuid.UUID
    order_id: uuid.UUID
    plant_id: uuid.UUID
    status: WorkStatus
    blocked_reason: str | None
    started_at: datetime | None
    completed_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    stages: list[StageExecution] = Field(default_factory=list)


class ProductionOrderCreate(Body):
    order_id: uuid.UUID


class StageAssign(Body):
    operator: str = Field(min_length=1, max_length=255, description="The operator's user id")


class ActualValue(Body):
    name: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=100)


class StageParameters(Body):
    actuals: list[ActualValue] = Field(default_factory=list, max_length=100)
    notes: str | None = Field(default=None, max_length=4000)


class StageBlock(Body):
    reason: str = Field(min_length=1, max_length=2000)


class LabourEntry(Schema):
    id: uuid.UUID
    stage_execution_id: uuid.UUID
    production_order_id: uuid.UUID
    operator: str
    started_at: datetime
    ended_at: datetime | None
    write_outcome: Literal["applied", "superseded"] = Field(
        default="applied",
        description="`superseded`: a write clocked earlier than the one the entry holds "
        "(last-write-wins by `clocked_at`); it is kept in the labour clock history",
    )


class LabourClock(Body):
    clocked_at: datetime | None = Field(
        default=None,
        description="When the worker clocked, on the device (UTC RFC 3339; at most 5 minutes "
        "ahead, 7 days back). Given, the clock is last-write-wins by this time; absent, now.",
    )


class LabourClockWrite(Schema):
    id: uuid.UUID
    labour_entry_id: uuid.UUID
    stage_execution_id: uuid.UUID
    operator: str
    kind: Literal["in", "out"]
    clocked_at: datetime
    received_at: datetime
    outcome: Literal["applied", "superseded"]


class LabourByStage(Body):
    stage_execution_id: uuid.UUID
    name: str
    minutes: float


class LabourByOperator(Body):
    operator: str
    minutes: float


class LabourSummary(Body):
    production_order_id: uuid.UUID
    total_minutes: float
    open_entries: int
    by_stage: list[LabourByStage]
    by_operator: list[LabourByOperator]


class ProductionOrderFilters(Body):
    status: WorkStatus | None = None
    plant_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None


class StageAssignment(Schema):
    """A stage assigned to the caller, with what a device needs to work on it offline."""

    stage: StageExecution
    production_order_id: uuid.UUID
    plant_id: uuid.UUID
    order_number: str
    due_date: date
    updated_at: datetime
    open: bool = Field(description="False once completed: the device drops it")


class StageAssignmentFeed(Body):
    items: list[StageAssignment]
    next_cursor: str = Field(
        description="Always set: send it back (`?cursor=`) to get only what changed since"
    )
    has_more: bool
