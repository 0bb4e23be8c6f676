"""Events quality emits: inspections, defects, photos, reports, passports.

Subjects: `inspections/{inspection_id}`, `photos/{photo_id}`, `reports/{report_id}`,
`passports/{passport_id}`. Events of a brand's lot name the brand as `customer_tenant_id`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field

from libs.contracts.base import EventModel, OneOf

SEVERITIES = ("critical", "major", "minor")
VERDICTS = ("passed", "failed")
REPORT_TYPES = ("inspection_report", "photo_book")
INSPECTION_STATUSES = ("open", "assigned", "in_progress", "completed", "cancelled")

Severity = Annotated[str, OneOf(SEVERITIES)]
Verdict = Annotated[str, OneOf(VERDICTS)]
ReportType = Annotated[str, OneOf(REPORT_TYPES)]
InspectionStatus = Annotated[str, OneOf(INSPECTION_STATUSES)]


class _InspectionFields(EventModel):
    inspection_id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str
    round: int = Field(ge=1, description="Inspection round of the lot (a rework adds one)")
    plant_id: uuid.UUID | None = None
    product_sku: str | None = None
    status: InspectionStatus


class InspectionOpened(_InspectionFields):
    event_type: ClassVar[str] = "quality.inspection.opened"
    description: ClassVar[str] = (
        "A lot reached qa_pending and its inspection round opened, with its ISO 2859-1 plan."
    )

    plan: dict[str, Any] = Field(description="Sampling plan: sample size, Ac/Re, AQL, level")


class InspectionStarted(_InspectionFields):
    event_type: ClassVar[str] = "quality.inspection.started"
    description: ClassVar[str] = "An inspector started the inspection of a lot."

    inspector_id: str | None = None


class InspectionCompleted(_InspectionFields):
    event_type: ClassVar[str] = "quality.inspection.completed"
    description: ClassVar[str] = (
        "An inspection completed with a verdict computed from its results against the plan's "
        "Ac/Re. Production moves the lot to `lot_gate` (approved or rejected)."
    )

    verdict: Verdict
    lot_gate: Annotated[str, OneOf(("approved", "rejected"))]
    counts: dict[str, Any]
    plan: dict[str, Any]
    inspector_id: str | None = None
    completed_at: datetime


class DefectRecorded(_InspectionFields):
    event_type: ClassVar[str] = "quality.defect.recorded"
    description: ClassVar[str] = "A defect was recorded on a sample unit of an inspection."

    defect_id: uuid.UUID
    unit: int = Field(ge=1)
    severity: Severity
    description_text: str = Field(
        alias="description", serialization_alias="description", description="What was found"
    )


class PhotoAdded(EventModel):
    event_type: ClassVar[str] = "quality.photo.added"
    description: ClassVar[str] = (
        "A defect photo was uploaded and processed (EXIF stripped, thumbnail made)."
    )

    photo_id: uuid.UUID
    inspection_id: uuid.UUID
    defect_id: uuid.UUID | None = None
    lot_id: uuid.UUID
    caption: str | None = None
    annotations: list[dict[str, Any]] = Field(default_factory=list)


class ReportReady(EventModel):
    event_type: ClassVar[str] = "quality.report.ready"
    description: ClassVar[str] = "A lot's PDF report (inspection report or photo book) is ready."

    report_id: uuid.UUID
    type: ReportType
    lot_id: uuid.UUID
    lot_number: str | None = None
    pages: int
    size: int


class PassportPublished(EventModel):
    event_type: ClassVar[str] = "quality.passport.published"
    description: ClassVar[str] = (
        "A lot's Digital Product Passport (UNTP DPP 0.6) was published; a new version "
        "supersedes the previous one."
    )

    passport_id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: str
    version: int = Field(ge=1)
    gtin: str | None = None
    url: str
    digital_link: str
    supersedes: uuid.UUID | None = None
