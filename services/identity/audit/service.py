"""Identity's named security events: one row per grant, revocation, invite, login failure,
elevation step (`GET /audit-events`), also for requests no token authenticates (a failed
login). Each one is named in its request's audit record as well (libs.common.audit,
`details.actions`, `GET /audit-records`); the two join on `request_id`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.audit.context import note
from libs.common.auth import Principal
from libs.common.elevation import impersonator_var
from libs.common.logs import request_id_var
from libs.common.pagination import Page, PageParams
from services.identity.audit import repository as repo
from services.identity.audit.schemas import AuditEvent as AuditEventOut
from services.identity.models import AuditEvent
from services.identity.tenants.access import target_tenant


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    act: str | None = None,
) -> None:
    """`act`: the real actor when `actor` is impersonated; by default the request's
    impersonator (libs.common.elevation), so every row written under an impersonation
    token names both."""
    note(action)
    repo.add(
        session,
        AuditEvent(
            tenant_id=tenant_id,
            actor=actor,
            act=act or impersonator_var.get(),
            action=action,
            target=target,
            details=details or {},
            request_id=request_id_var.get(),
        ),
    )


async def list_events(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    tenant_id: uuid.UUID | None,
    action: str | None,
) -> Page[AuditEventOut]:
    tenant = await target_tenant(session, principal, tenant_id)
    rows, cursor = await repo.list_page(session, tenant.id, action, page)
    return Page(items=[AuditEventOut.model_validate(r) for r in rows], next_cursor=cursor)
