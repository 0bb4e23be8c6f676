"""Events partner emits: spec uploads and diffs, golden test runs, evidence, readiness
reviews. Each is owned by the API owner (`tenant_id`) and made for the partner's tenant
(`customer_tenant_id`), so both sides' webhooks may receive it under the client rule."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from libs.contracts.base import EventModel


class SpecUploaded(EventModel):
    event_type: ClassVar[str] = "partner.spec.uploaded"
    description: ClassVar[str] = (
        "A spec version was uploaded to a project (subject `projects/{project_id}/specs/"
        "{spec_version_id}`); a partner's variant waits for the owner's review."
    )

    project_id: uuid.UUID
    spec_version_id: uuid.UUID
    number: int
    partner_id: uuid.UUID | None = Field(description="Null for the owner's blueprint project")
    uploaded_by: str
    uploaded_side: str = Field(description="owner or partner")
    status: str = Field(description="pending_review or accepted")
    title: str
    api_version: str
    openapi_version: str
    size_bytes: int
    sha256: str


class SpecDiffed(EventModel):
    event_type: ClassVar[str] = "partner.spec.diffed"
    description: ClassVar[str] = (
        "Two spec versions were compared (subject `projects/{project_id}/diffs/{from}..{to}`); "
        "the counts say how many findings of each level the diff found."
    )

    project_id: uuid.UUID
    from_spec_version_id: uuid.UUID
    to_spec_version_id: uuid.UUID
    from_number: int
    to_number: int
    breaking: int
    warning: int
    info: int
    diffed_by: str
    diffed_side: str = Field(description="owner or partner")


class RunCompleted(EventModel):
    event_type: ClassVar[str] = "partner.run.completed"
    description: ClassVar[str] = (
        "A golden test run of a partner project finished (subject `projects/{project_id}/runs/"
        "{run_id}`)."
    )

    project_id: uuid.UUID
    run_id: uuid.UUID
    status: str = Field(description="passed, failed or errored")
    target: str = Field(description="mock, sandbox or owner")
    total: int
    passed: int
    failed: int
    errored: int
    finished_at: datetime


class EvidenceSubmitted(EventModel):
    event_type: ClassVar[str] = "partner.evidence.submitted"
    description: ClassVar[str] = (
        "A partner submitted evidence for an exit criterion of its plan (subject "
        "`projects/{project_id}/evidence/{evidence_id}`)."
    )

    project_id: uuid.UUID
    phase_id: uuid.UUID
    criterion_id: uuid.UUID
    evidence_id: uuid.UUID
    kind: str = Field(description="file, link or run")
    title: str
    run_id: uuid.UUID | None = None
    submitted_by: str


class ReviewRequested(EventModel):
    event_type: ClassVar[str] = "partner.review.requested"
    description: ClassVar[str] = (
        "A partner requested a readiness review of its project (subject "
        "`projects/{project_id}/reviews/{review_id}`)."
    )

    project_id: uuid.UUID
    review_id: uuid.UUID
    requested_by: str
    note: str | None = None
    open_criteria: int = Field(description="Exit criteria not met when it was requested")


class ReviewDecided(EventModel):
    event_type: ClassVar[str] = "partner.review.decided"
    description: ClassVar[str] = (
        "The API owner decided a readiness review (subject `projects/{project_id}/reviews/"
        "{review_id}`): approved or changes_requested."
    )

    project_id: uuid.UUID
    review_id: uuid.UUID
    status: str = Field(description="approved or changes_requested")
    decided_by: str
    comment: str | None = None
