from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.quality.sampling.schemas import SamplingPlan

Severity = Literal["critical", "major", "minor"]
Status = Literal["open", "assigned", "in_progress", "completed", "cancelled"]
Verdict = Literal["passed", "failed"]


class AwaitingInspection(BaseModel):
    """A lot at qa_pending whose current round has no completed inspection."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str | None
    order_id: uuid.UUID | None
    plant_id: uuid.UUID | None
    customer_tenant_id: uuid.UUID | None
    quantity: int | None
    round: int
    inspection_id: uuid.UUID | None
    status: Literal["awaiting"] = "awaiting"
    created_at: datetime


class Counts(BaseModel):
    sampled_units: int
    units_with_results: int
    nonconforming_units: int
    critical: int
    major: int
    minor: int
    minor_units: int
    failed_checks: int


class Inspection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str
    round: int
    plant_id: uuid.UUID | None
    customer_tenant_id: uuid.UUID | None
    product_sku: str | None
    checklist_id: uuid.UUID | None
    status: Status
    inspector_id: str | None
    plan: SamplingPlan
    verdict: Verdict | None
    counts: Counts | None
    started_at: datetime | None
    completed_at: datetime | None
    version: int
    created_at: datetime


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspector_id: uuid.UUID


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    unit: int = Field(ge=1, le=100_000, description="sample unit, 1..sample size")
    passed: bool | None = Field(None, description="pass/fail and photo checks")
    value: Decimal | None = Field(
        None, max_digits=18, decimal_places=6, description="measurement checks"
    )
    photo_id: uuid.UUID | None = None
    notes: str | None = Field(None, max_length=2000)


class ResultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    results: list[ResultIn] = Field(min_length=1, max_length=2000)


class CheckResult(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    unit: int
    passed: bool
    value: Decimal | None
    photo_id: uuid.UUID | None
    notes: str | None
    recorded_by: str


class ResultsRecorded(BaseModel):
    recorded: int
    failed: int


class DefectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: int = Field(ge=1, le=100_000)
    item_id: uuid.UUID | None = None
    severity: Severity
    description: str = Field(min_length=1, max_length=2000)


class Defect(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inspection_id: uuid.UUID
    unit: int
    item_id: uuid.UUID | None
    severity: Severity
    description: str
    recorded_by: str
    created_at: datetime


class InspectionAssignment(BaseModel):
    inspection: Inspection
    updated_at: datetime
    open: bool = Field(description="False once completed: the device drops it")


class InspectionAssignmentFeed(BaseModel):
    items: list[InspectionAssignment]
    next_cursor: str = Field(
        description="Always set: send it back (`?cursor=`) to get only what changed since"
    )
    has_more: bool
