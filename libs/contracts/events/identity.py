"""Events identity emits for other services (its mail never leaves identity)."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

from libs.contracts.base import EventModel, OneOf

TENANT_KINDS = ("operator", "provider", "client")
TenantKind = Annotated[str, OneOf(TENANT_KINDS)]


class _TenantFields(EventModel):
    """A tenant as other services copy it (they learn the tenant tree from these events)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    kind: TenantKind
    name: str
    slug: str
    logo_url: str | None = None
    version: int


class TenantCreated(_TenantFields):
    event_type: ClassVar[str] = "identity.tenant.created"
    description: ClassVar[str] = (
        "A tenant was created (subject `tenant/{id}`). A client tenant's event belongs to its "
        "parent and names the client as `customer_tenant_id`."
    )


class TenantUpdated(_TenantFields):
    event_type: ClassVar[str] = "identity.tenant.updated"
    description: ClassVar[str] = (
        "A tenant's name, slug, logo or parent changed (subject `tenant/{id}`)."
    )


__all__ = ["TENANT_KINDS", "TenantCreated", "TenantKind", "TenantUpdated"]
