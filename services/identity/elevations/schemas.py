from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.identity.roles.schemas import Permission


class ElevationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: Annotated[list[Permission], Field(min_length=1, max_length=20)]
    reason: Annotated[str, Field(min_length=10, max_length=500)]
    duration_minutes: Annotated[int, Field(ge=1, le=480)] = 60


class ElevationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=1, max_length=256)]


class Elevation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    scopes: list[str]
    reason: str
    duration_seconds: int
    space: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    started_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    version: int
    created_at: datetime


class ElevationStatus(BaseModel):
    """What a service asks before it honours an elevated token (libs.common.elevation)."""

    id: uuid.UUID
    status: str = Field(description="pending, approved, denied, active, ended or revoked")
    expires_at: datetime | None
