from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.identity.users.schemas import Password


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    tenant: Annotated[str, Field(min_length=2, max_length=63, description="Tenant slug")]


class PasswordResetAccepted(BaseModel):
    """The answer to a reset request: the same whether the account exists or not."""

    status: Literal["accepted"] = "accepted"


class PasswordResetComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: Password
