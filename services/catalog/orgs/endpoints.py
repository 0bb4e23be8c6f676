from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.identity import ClientTenantsDep, IdentityUnavailable, UnknownClientTenant
from libs.common.pagination import Page, PageQuery
from services.catalog.orgs import service
from services.catalog.orgs.schemas import (
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
    OrgStatus,
    OrgType,
    Relationship,
    RelationshipCreate,
)
from services.catalog.web import (
    NotLinked,
    ReaderSessionDep,
    errors,
    provider,
    reader_access,
    resolve_reader,
)

router = APIRouter(prefix="/orgs", tags=["organisations"])


@router.get("", response_model=Page[Organisation], responses=errors())
async def list_orgs(
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, provider("catalog:read")],
    type: OrgType | None = None,
    status: OrgStatus | None = None,
) -> Page[Organisation]:
    rows, cursor = await service.list_orgs(
        session, principal.tenant_id, page, type=type, status=status
    )
    return Page[Organisation](
        items=[Organisation.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "",
    status_code=201,
    response_model=Organisation,
    responses=errors(service.ClientTenantTaken, UnknownClientTenant, IdentityUnavailable, 422),
)
async def create_org(
    body: OrganisationCreate,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("catalog:write")],
    tenants: ClientTenantsDep,
) -> Organisation:
    """`client_tenant_id`, if given, must be a client tenant of the caller's (identity is
    asked with the caller's token): 422 `unknown_client_tenant` otherwise."""
    org = await service.create_org(session, principal.tenant_id, body, tenants)
    set_etag(response, org.version)
    return Organisation.model_validate(org)


@router.get("/me", response_model=Organisation, responses=errors(NotLinked, service.OrgNotFound))
async def get_my_org(
    rs: ReaderSessionDep, _p: Annotated[Principal, reader_access()]
) -> Organisation:
    """The organisation a client tenant's user acts as (from the tenant's link)."""
    session, principal = rs
    reader = await resolve_reader(session, principal)
    if reader.org_id is None:
        raise service.OrgNotFound("The provider's own users act as no organisation")
    return Organisation.model_validate(
        await service.get_org(session, reader.tenant_id, reader.org_id)
    )


@router.get("/{org_id}", response_model=Organisation, responses=errors(service.OrgNotFound))
async def get_org(
    org_id: uuid.UUID,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("catalog:read")],
) -> Organisation:
    org = await service.get_org(session, principal.tenant_id, org_id)
    set_etag(response, org.version)
    return Organisation.model_validate(org)


@router.patch(
    "/{org_id}",
    response_model=Organisation,
    responses=errors(
        service.OrgNotFound,
        service.ClientTenantTaken,
        service.InvalidProfile,
        UnknownClientTenant,
        IdentityUnavailable,
        412,
        422,
    ),
)
async def update_org(
    org_id: uuid.UUID,
    body: OrganisationUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider("catalog:write")],
    tenants: ClientTenantsDep,
) -> Organisation:
    org = await service.get_org(session, principal.tenant_id, org_id)
    check_if_match(request, org.version)
    org = await service.update_org(session, org, body, tenants)
    set_etag(response, org.version)
    return Organisation.model_validate(org)


@router.get(
    "/{org_id}/relationships",
    response_model=Page[Relationship],
    responses=errors(service.OrgNotFound),
)
async def list_relationships(
    org_id: uuid.UUID,
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, provider("catalog:read")],
    direction: Annotated[
        Literal["parents", "children"] | None,
        Query(description="parents: this org's upstream; children: its downstream; none: both"),
    ] = None,
) -> Page[Relationship]:
    rows, cursor = await service.list_relationships(
        session, principal.tenant_id, org_id, direction, page
    )
    return Page[Relationship](
        items=[Relationship.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "/{org_id}/relationships",
    status_code=201,
    response_model=Relationship,
    responses=errors(
        service.OrgNotFound,
        service.InvalidRelationship,
        service.RelationshipCycle,
        service.RelationshipOverlaps,
    ),
)
async def create_relationship(
    org_id: uuid.UUID,
    body: RelationshipCreate,
    session: TenantSession,
    principal: Annotated[Principal, provider("catalog:write")],
) -> Relationship:
    rel = await service.create_relationship(session, principal.tenant_id, org_id, body)
    return Relationship.model_validate(rel)
