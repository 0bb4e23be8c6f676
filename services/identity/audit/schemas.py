from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    actor: str
    act: str | None = Field(
        default=None, description="The real actor when `actor` was impersonated (RFC 8693)"
    )
    action: str
    target: str | None
    details: dict[str, Any]
    at: datetime
    request_id: str | None
