from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from services.partner.access import Body, Schema


class Review(Schema):
    id: uuid.UUID
    project_id: uuid.UUID
    status: str = Field(description="under_review, approved or changes_requested")
    note: str | None
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    created_at: datetime
    version: int


class ReviewRequest(Body):
    note: str | None = Field(default=None, max_length=5000)


class ReviewDecision(Body):
    status: Literal["approved", "changes_requested"]
    comment: str | None = Field(default=None, max_length=5000)
