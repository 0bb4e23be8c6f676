from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

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


class ProjectCreate(Body):
    kind: Literal["blueprint", "partner"]
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    partner_id: uuid.UUID | None = Field(default=None, description="Required for kind partner")
    blueprint_id: uuid.UUID | None = Field(
        default=None,
        description="Required for kind partner: the blueprint project it follows; its "
        "latest accepted spec version is copied in as the partner's version 1",
    )

    @model_validator(mode="after")
    def _links(self) -> ProjectCreate:
        if self.kind == "partner" and (self.partner_id is None or self.blueprint_id is None):
            raise ValueError("a partner project needs partner_id and blueprint_id")
        if self.kind == "blueprint" and (self.partner_id or self.blueprint_id):
            raise ValueError("a blueprint project has no partner_id or blueprint_id")
        return self
