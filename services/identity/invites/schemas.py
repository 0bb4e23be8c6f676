from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from libs.common.auth import Space
from services.identity.users.schemas import Password, RoleName, User


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    tenant_id: uuid.UUID | None = Field(default=None, description="A client tenant of the caller")
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=20)]
    space: Space


class Invite(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    roles: list[str]
    space: str
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InviteCreated(Invite):
    token: str = Field(description="The one-time token, shown once (also sent by mail)")
    accept_url: str = Field(
        description="The public acceptance route (POST a password and a name), also mailed"
    )


class InviteAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password
    name: Annotated[str, Field(min_length=1, max_length=200)]


class InviteAccepted(BaseModel):
    user: User
    tenant_slug: str
