from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import Forbidden
from services.catalog.channels.service import ChannelNotFound
from services.catalog.orgs.service import OrgNotFound
from services.catalog.stats import service
from services.catalog.stats.schemas import CatalogStats, TicketStats
from services.catalog.web import (
    NotLinked,
    ReaderSessionDep,
    errors,
    provider,
    reader_access,
    resolve_reader,
)

router = APIRouter(prefix="/stats", tags=["stats"])


def _own(org_id: uuid.UUID | None, reader_org: uuid.UUID | None) -> uuid.UUID | None:
    if reader_org is None:
        return org_id
    if org_id is not None and org_id != reader_org:
        raise Forbidden("A client tenant sees its own organisation's figures only")
    return reader_org


@router.get("/tickets", response_model=TicketStats, responses=errors(OrgNotFound))
async def get_ticket_stats(
    session: TenantSession,
    principal: Annotated[Principal, provider("tickets:read")],
    org_id: uuid.UUID | None = None,
) -> TicketStats:
    """Tickets by org type (SLA %, backlog, escalations), global without an org."""
    return await service.ticket_stats(session, principal.tenant_id, org_id)


@router.get(
    "/catalog",
    response_model=CatalogStats,
    responses=errors(NotLinked, OrgNotFound, ChannelNotFound),
)
async def get_catalog_stats(
    rs: ReaderSessionDep,
    _p: Annotated[Principal, reader_access()],
    org_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
) -> CatalogStats:
    """Published catalogs and items, and catalog coverage, for an org (or the tenant)."""
    session, principal = rs
    reader = await resolve_reader(session, principal)
    org = _own(org_id, reader.org_id)
    return await service.catalog_stats(session, reader.tenant_id, org, channel_id)
