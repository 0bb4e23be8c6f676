from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field

from libs.common.elevation import Sensitive
from services.partner.access import Body, Schema

Category = Literal["erp_vendor", "retailer", "marketplace", "logistics", "payments", "other"]


class Partner(Schema):
    id: uuid.UUID
    tenant_id: uuid.UUID = Field(description="The API owner (the provider tenant)")
    customer_tenant_id: uuid.UUID = Field(description="The partner's own (client) tenant")
    name: str
    category: str
    contact_email: Sensitive | None
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class PartnerCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    category: Category = "other"
    contact_email: EmailStr | None = None
    tenant_id: uuid.UUID = Field(
        description="The partner's tenant: a client tenant of yours in identity "
        "(POST /v1/identity/tenants), whose people you then invite"
    )
