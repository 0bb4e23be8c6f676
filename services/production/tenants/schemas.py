from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class TenantEventData(BaseModel):
    """The part of identity's `identity.tenant.*` payload production keeps."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    kind: str = Field(max_length=20)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=63)
    status: str = Field(default="active", max_length=16)
    version: int = 0


class IntakeResult(BaseModel):
    status: Literal["recorded", "ignored"]
