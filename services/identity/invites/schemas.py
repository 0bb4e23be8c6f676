from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from libs.common.auth import Space
from libs.common.elevation import Sensitive
from services.identity.users.schemas import Password, RoleName, User


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    tenant_id: uuid.UUID | None = Field(default=None, description="A client tenant of the caller")
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=20)]
    space: Space
    login: Literal["password", "magic_link"] = Field(
        default="password",
        description="password: the invitee sets a password on acceptance. magic_link: no "
        "password, the invitee signs in by one-time links mailed to this email (DEVELOPER "
        "space only: integration partners)",
    )


class Invite(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    email: Sensitive
    roles: list[str]
    space: str
    login: str = Field(description="password or magic_link")
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InviteCreated(Invite):
    token: str | None = Field(
        description="The one-time token, shown once (also sent by mail); null for a "
        "magic_link invite, whose sign-in link only the invitee receives"
    )
    accept_url: str | None = Field(
        description="The public acceptance route (POST a password and a name), also mailed; "
        "null for a magic_link invite"
    )


class InviteAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password
    name: Annotated[str, Field(min_length=1, max_length=200)]


class InviteAccepted(BaseModel):
    user: User
    tenant_slug: str


class MagicLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    tenant: Annotated[str, Field(min_length=2, max_length=63, description="The tenant's slug")]


class MagicLinkRequested(BaseModel):
    detail: str = "If this email was invited to sign in by magic link, a link is on its way"


class MagicLinkSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(description="The invited email: the link works for it alone")
