from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AnyHttpUrl, Field, model_validator

from services.partner.access import Body, Schema

MAX_PHASES = 50
MAX_CRITERIA = 50
# Evidence files: what may be uploaded (never a type a browser would render as a page)
FILE_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/json": "json",
    "application/zip": "zip",
}
FileType = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
]


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


class Upload(Schema):
    """Where to send the file: PUT the bytes to `url` with `headers`, before `expires_at`
    (Unix seconds); then confirm with POST .../evidence/{id}/complete."""

    url: str
    method: str
    headers: dict[str, str]
    expires_at: int


class Evidence(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    criterion_id: uuid.UUID
    kind: str = Field(description="file, link or run")
    title: str
    url: str | None
    run_id: uuid.UUID | None
    content_type: str | None = Field(default=None, description="For kind file")
    size: int | None = Field(
        default=None, description="For kind file: bytes (announced until the upload is confirmed)"
    )
    status: str = Field(
        description="awaiting_upload (a file whose bytes are not confirmed yet), submitted, "
        "accepted or rejected"
    )
    note: str | None
    submitted_by: str
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    version: int
    upload: Upload | None = Field(
        default=None, description="Only in the answer that creates file evidence"
    )


class EvidenceCreate(Body):
    kind: Literal["link", "run", "file"]
    title: str = Field(min_length=1, max_length=300)
    url: AnyHttpUrl | None = Field(default=None, description="For kind link")
    run_id: uuid.UUID | None = Field(
        default=None,
        description="For kind run: a run of this project that finished passing",
    )
    content_type: FileType | None = Field(default=None, description="For kind file")
    size: int | None = Field(
        default=None,
        ge=1,
        description="For kind file: the file's size in bytes (the most the upload URL accepts)",
    )
    note: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _kind_fields(self) -> EvidenceCreate:
        file_fields = (self.content_type, self.size)
        if self.kind == "link" and (
            self.url is None or self.run_id is not None or any(f is not None for f in file_fields)
        ):
            raise ValueError("a link needs url (and no run_id or file fields)")
        if self.kind == "run" and (
            self.run_id is None or self.url is not None or any(f is not None for f in file_fields)
        ):
            raise ValueError("a run needs run_id (and no url or file fields)")
        if self.kind == "file" and (
            self.content_type is None
            or self.size is None
            or self.url is not None
            or self.run_id is not None
        ):
            raise ValueError("a file needs content_type and size (and no url or run_id)")
        return self


class Download(Schema):
    """A short-lived presigned GET of an evidence file."""

    url: str
    expires_at: int


class EvidenceDecision(Body):
    comment: str | None = Field(default=None, max_length=5000)
