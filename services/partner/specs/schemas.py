from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from services.partner.access import Body, Schema
from services.partner.diff import DiffReport


class SpecVersion(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    number: int = Field(description="1, 2, ... per project")
    source: str = Field(description="upload, or blueprint (the owner's spec copied in)")
    based_on_id: uuid.UUID | None = Field(description="The version this one was copied from")
    format: str = Field(description="json or yaml: how it was sent")
    openapi_version: str
    title: str
    api_version: str
    size_bytes: int
    sha256: str
    operation_count: int
    status: str = Field(description="pending_review, accepted or rejected")
    note: str | None
    uploaded_by: str
    uploaded_side: str = Field(description="owner or partner")
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    created_at: datetime
    version: int


class SpecDecision(Body):
    comment: str | None = Field(default=None, max_length=5000)


class SpecDiff(Schema):
    project_id: uuid.UUID
    base: SpecVersion
    head: SpecVersion
    report: DiffReport
