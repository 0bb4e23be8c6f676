from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from libs.common.elevation import Sensitive

RoleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z0-9_]*$")]
Password = Annotated[str, Field(min_length=10, max_length=256)]


class RoleGrant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: str
    space: str
    plant_id: uuid.UUID | None = None


class User(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: Sensitive
    name: str
    status: str
    roles: list[RoleGrant]
    version: int
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: Annotated[str, Field(min_length=1, max_length=200)]
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=20)]
    tenant_id: uuid.UUID | None = Field(
        default=None, description="A client tenant of the caller; the caller's own by default"
    )
    password: Password | None = Field(
        default=None, description="Set the password now instead of returning a temporary one"
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    status: Annotated[str, Field(pattern="^(active|disabled)$")] | None = None


class UserCreated(User):
    temporary_password: str | None = Field(
        default=None, description="Shown once; null when the caller set the password"
    )


class ClientUserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_slug: Annotated[str, Field(min_length=2, max_length=63)] | None = None
    client_id: uuid.UUID | None = None
    email: EmailStr
    name: Annotated[str, Field(min_length=1, max_length=200)]
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=20)] = ["CLIENT_VIEWER"]
    password: Password | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ClientUserCreate:
        if self.client_slug is None and self.client_id is None:
            raise ValueError("client_slug or client_id is required")
        return self


class RoleGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName
    plant_id: uuid.UUID | None = None


class PasswordSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password
