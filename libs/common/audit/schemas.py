from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from libs.common.audit.table import Outcome


class AuditRecord(BaseModel):
    """One request: who (and who really, `act`), where, what it touched, how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    request_id: str
    actor: str = Field(description="The token's subject (a user id, or an API client's)")
    act: dict[str, Any] | None = Field(
        None, description="RFC 8693 `act`: the real actor when someone impersonates"
    )
    space: str | None
    method: str
    route: str = Field(description="The route template as the client calls it")
    path: str
    status: int
    outcome: Outcome
    code: str | None = Field(None, description="The problem's code, when refused")
    touched: list[str] = Field(
        description="What the request wrote: `<table>/<id>` and event subjects"
    )
    details: dict[str, Any]
    at: datetime


class AuditRecordIn(BaseModel):
    """A record made by the gateway (a request it refused before any service ran)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    tenant_id: uuid.UUID
    request_id: str = Field(max_length=128)
    actor: str = Field(max_length=255)
    act: dict[str, Any] | None = None
    space: str | None = Field(None, max_length=20)
    method: str = Field(max_length=10)
    route: str = Field(max_length=500)
    path: str = Field(max_length=2000)
    status: int = Field(ge=100, le=599)
    outcome: Outcome
    code: str | None = Field(None, max_length=100)
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class AuditBatch(BaseModel):
    records: list[AuditRecordIn] = Field(max_length=1000)
