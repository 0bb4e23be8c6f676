"""What the delivery worker hands around: a claimed delivery ready to send, and how its
attempt went."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class Job:
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    endpoint_id: uuid.UUID
    tenant_id: uuid.UUID | None
    attempts: int
    url: str
    internal: bool
    secrets: list[str]
    body: bytes


@dataclass(slots=True)
class Outcome:
    job: Job
    attempted_at: datetime
    success: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    retry_after: float | None
