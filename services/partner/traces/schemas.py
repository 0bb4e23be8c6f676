from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Trace(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    source: str
    run_id: uuid.UUID | None
    mock_id: uuid.UUID | None
    operation: str | None
    method: str
    path: str
    status: int | None
    duration_ms: float
    summary: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    occurred_at: datetime
