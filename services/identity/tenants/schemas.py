from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.identity.users.schemas import User

Slug = Annotated[
    str, Field(min_length=2, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
LogoUrl = Annotated[str, Field(max_length=2048, pattern=r"^https?://\S+$")]


class Tenant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: str
    name: str
    slug: str
    logo_url: str | None
    plan: str | None
    industry: str | None
    external_customer_id: str | None
    features: list[str]
    defaults: dict[str, Any]
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    slug: Slug
    logo_url: LogoUrl | None = None


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    slug: Slug | None = None
    logo_url: LogoUrl | None = None


class TenantRegister(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    slug: Slug
    plan: Annotated[str, Field(min_length=1, max_length=50)]
    industry: Annotated[str, Field(min_length=1, max_length=50)]
    external_customer_id: Annotated[str, Field(min_length=1, max_length=200)]
    owner_email: EmailStr
    owner_name: Name


class TenantRegistration(BaseModel):
    tenant: Tenant
    owner: User
    roles: list[str]
