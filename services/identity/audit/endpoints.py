from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.pagination import Page, PageQuery
from services.identity.audit import service
from services.identity.audit.schemas import AuditEvent as AuditEventOut
from services.identity.errors import responses
from services.identity.tenants.errors import TenantNotFound

router = APIRouter(tags=["audit"])


@router.get(
    "/audit-events", response_model=Page[AuditEventOut], responses=responses(TenantNotFound)
)
async def list_audit_events(
    principal: Annotated[
        Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="audit:read"))
    ],
    session: TenantSession,
    page: PageQuery,
    action: Annotated[str | None, Query(max_length=100)] = None,
    tenant_id: Annotated[
        uuid.UUID | None, Query(description="A client tenant of the caller")
    ] = None,
) -> Page[AuditEventOut]:
    """The access audit trail of the caller's tenant (or a client tenant), newest first."""
    return await service.list_events(session, principal, page, tenant_id, action)
