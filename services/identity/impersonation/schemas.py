from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from libs.common.auth import Space
from services.identity.auth.schemas import TokenResponse


class ImpersonationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID = Field(description="A user of your tenant or of a client tenant of it")
    justification: Annotated[str, Field(min_length=10, max_length=500)]
    space: Space | None = Field(
        default=None, description="The target's space; required when it has several"
    )


class ImpersonationToken(TokenResponse):
    """An access token for the target user; its `act` claim names you (RFC 8693)."""

    user_id: uuid.UUID
    actor: str = Field(description="The real actor (`act.sub`)")
    elevation_id: uuid.UUID
