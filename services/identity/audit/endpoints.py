from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS
from libs.common.pagination import Page, PageQuery, paginate
from services.identity.audit.schemas import AuditEvent as AuditEventOut
from services.identity.models import AuditEvent
from services.identity.users import service as users

router = APIRouter(tags=["audit"])


@router.get("/audit-events", response_model=Page[AuditEventOut], responses=AUTH_ERRORS)
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
    tenant = await users.target_tenant(session, principal, tenant_id)
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    rows, cursor = await paginate(session, stmt, page, keys=[AuditEvent.id])
    return Page(items=[AuditEventOut.model_validate(r) for r in rows], next_cursor=cursor)
