from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from services.partner.access import Body, Schema


class Project(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID = Field(description="The API owner")
    customer_tenant_id: uuid.UUID | None = Field(
        description="The partner's tenant (null for the owner's blueprint project)"
    )
    kind: str = Field(description="blueprint (the owner's) or partner")
    name: str
    description: str | None
    partner_id: uuid.UUID | None
    blueprint_id: uuid.UUID | None = Field(description="The blueprint a partner project follows")
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class BlueprintCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class PartnerProjectCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    blueprint_id: uuid.UUID = Field(
        description="The blueprint project it follows; its latest accepted spec version is "
        "copied in as the partner project's version 1"
    )
