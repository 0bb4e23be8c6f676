"""Partner organisations (the owner registers them; a partner reads its own)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from libs.common.deps import TenantSession
from libs.common.etag import set_etag
from libs.common.identity import ClientTenantsDep, IdentityUnavailable, UnknownClientTenant
from libs.common.pagination import Page, PageQuery
from services.partner.access import Owner, Reader, errors
from services.partner.partners import service
from services.partner.partners.schemas import Partner, PartnerCreate

router = APIRouter(prefix="/partners", tags=["partners"])


@router.post(
    "",
    status_code=201,
    response_model=Partner,
    summary="Register a partner organisation (a client tenant of yours)",
    responses=errors(422, UnknownClientTenant, service.PartnerExists, IdentityUnavailable),
)
async def create_partner(
    caller: Owner,
    session: TenantSession,
    body: PartnerCreate,
    tenants: ClientTenantsDep,
    response: Response,
) -> Partner:
    found = await service.create_partner(session, caller, body, tenants)
    set_etag(response, found.version)
    return Partner.model_validate(found)


@router.get(
    "",
    response_model=Page[Partner],
    summary="Partner organisations (a partner sees its own), newest first",
    responses=errors(400),
)
async def list_partners(caller: Reader, session: TenantSession, page: PageQuery) -> Page[Partner]:
    rows, cursor = await service.list_partners(session, caller, page)
    return Page(items=[Partner.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{partner_id}",
    response_model=Partner,
    summary="One partner organisation",
    responses=errors(service.PartnerNotFound),
)
async def get_partner(
    caller: Reader, session: TenantSession, partner_id: uuid.UUID, response: Response
) -> Partner:
    found = await service.get_partner(session, caller, partner_id)
    set_etag(response, found.version)
    return Partner.model_validate(found)
