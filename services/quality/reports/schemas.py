from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ReportType = Literal["inspection_report", "photo_book"]


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ReportType


class Report(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lot_id: uuid.UUID
    inspection_id: uuid.UUID | None
    type: ReportType
    status: Literal["queued", "running", "ready", "failed"]
    progress: int
    size: int | None
    pages: int | None
    error: str | None
    requested_space: str
    created_at: datetime
    completed_at: datetime | None
    download_url: str | None = None
    download_expires_at: int | None = None


class ReportsByType(BaseModel):
    inspection_report: list[Report]
    photo_book: list[Report]
