from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from libs.common.auth import Space

Permission = Annotated[
    str, Field(max_length=130, pattern=r"^(\*|[a-z][a-z0-9_]{0,62}):(\*|[a-z][a-z0-9_]{0,62})$")
]


class Role(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    space: str
    description: str | None
    permissions: list[str]
    system: bool
    version: int
    created_at: datetime


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Z][A-Z0-9_]*$")]
    space: Space
    description: Annotated[str, Field(max_length=500)] | None = None
    permissions: Annotated[list[Permission], Field(min_length=1, max_length=100)]
    tenant_id: uuid.UUID | None = Field(default=None, description="A client tenant of the caller")


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, Field(max_length=500)] | None = None
    permissions: Annotated[list[Permission], Field(min_length=1, max_length=100)] | None = None
