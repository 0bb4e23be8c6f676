from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AnyHttpUrl, Field, model_validator

from services.partner.access import Body, Schema

MAX_PHASES = 50
MAX_CRITERIA = 50


class Criterion(Schema):
    id: uuid.UUID
    phase_id: uuid.UUID
    title: str
    description: str | None
    status: str = Field(description="open, or met once evidence for it is accepted")
    met_at: datetime | None
    met_by_evidence_id: uuid.UUID | None
    version: int


class Phase(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    position: int
    name: str
    description: str | None
    due_on: date | None
    criteria: list[Criterion] = Field(default_factory=list)
    created_at: datetime
    version: int


class Plan(Schema):
    project_id: uuid.UUID
    phases: list[Phase]
    open_criteria: int
    met_criteria: int


class CriterionCreate(Body):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)


class PhaseCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    due_on: date | None = None
    criteria: list[CriterionCreate] = Field(
        min_length=1, max_length=MAX_CRITERIA, description="The phase's exit criteria"
    )


class Evidence(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    criterion_id: uuid.UUID
    kind: str = Field(description="link or run")
    title: str
    url: str | None
    run_id: uuid.UUID | None
    status: str = Field(description="submitted, accepted or rejected")
    note: str | None
    submitted_by: str
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    version: int


class EvidenceCreate(Body):
    kind: Literal["link", "run"]
    title: str = Field(min_length=1, max_length=300)
    url: AnyHttpUrl | None = Field(default=None, description="For kind link")
    run_id: uuid.UUID | None = Field(default=None, description="For kind run: a passing run")
    note: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _kind_fields(self) -> EvidenceCreate:
        if self.kind == "link" and (self.url is None or self.run_id is not None):
            raise ValueError("a link needs url (and no run_id)")
        if self.kind == "run" and (self.run_id is None or self.url is not None):
            raise ValueError("a run needs run_id (and no url)")
        return self


class EvidenceDecision(Body):
    comment: str | None = Field(default=None, max_length=5000)
