from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from libs.common.auth import Space
from services.identity.tenants.schemas import Tenant
from services.identity.users.schemas import User


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=256)]
    tenant: Annotated[str, Field(min_length=2, max_length=63, description="Tenant slug")]
    space: Space | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    tenant_id: uuid.UUID
    space: Space
    scope: str | None = None
    password_change_required: bool = Field(
        default=False,
        description="The password is temporary: this token may only change it "
        "(POST /me/password); sign in again afterwards",
    )


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=10, max_length=512)]


class TokenRequest(BaseModel):
    """OAuth 2 token request (RFC 6749, form-encoded)."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["client_credentials", "refresh_token"]
    client_id: Annotated[str, Field(max_length=64)] | None = None
    client_secret: Annotated[str, Field(max_length=256)] | None = None
    refresh_token: Annotated[str, Field(max_length=512)] | None = None
    scope: Annotated[str, Field(max_length=2000)] | None = None


class Me(BaseModel):
    user: User | None
    client_id: str | None = None
    tenant: Tenant
    space: Space
    roles: list[str]
    permissions: list[str]
    plant_permissions: dict[str, list[str]] = Field(
        default_factory=dict, description="Permissions held for one plant only, by plant id"
    )
    password_change_required: bool = False
