from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from libs.common.auth import Principal, Space
from libs.common.deps import SystemSession, TenantSession, require
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from libs.common.reads import TenantReads, row_response
from services.identity.deps import IdentitySettings
from services.identity.errors import VersionMismatch, responses
from services.identity.models import Tenant
from services.identity.tenants import service
from services.identity.tenants.errors import (
    CannotCreateTenant,
    ExternalIdTaken,
    FieldRequired,
    NotOperator,
    SlugTaken,
    TenantNotFound,
    UnknownIndustry,
)
from services.identity.tenants.schemas import Tenant as TenantOut
from services.identity.tenants.schemas import (
    TenantCreate,
    TenantRegister,
    TenantRegistration,
    TenantUpdate,
)

router = APIRouter(tags=["tenants"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="clients:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, perm="clients:read"))]
Provisioner = Annotated[Principal, Depends(require(Space.PROVIDER, perm="tenants:provision"))]


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantOut,
    responses=responses(TenantNotFound, CannotCreateTenant, SlugTaken),
)
async def create_tenant(
    data: TenantCreate,
    principal: Manager,
    session: TenantSession,
    settings: IdentitySettings,
    response: Response,
) -> Tenant:
    """Create a client tenant under the caller's tenant (a provider's brand customer)."""
    tenant = await service.create_child(session, principal, data, settings)
    set_etag(response, tenant.version)
    response.headers["Location"] = f"/tenants/{tenant.id}"
    return tenant


@router.get("/tenants", response_model=Page[TenantOut], responses=responses())
async def list_tenants(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    slug: Annotated[str | None, Query(max_length=63)] = None,
) -> Page[TenantOut]:
    """The caller's client tenants, newest first."""
    return await service.list_children(session, principal, page, slug)


@router.get("/tenants/{tenant_id}", response_model=TenantOut, responses=responses(TenantNotFound))
async def get_tenant(
    tenant_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require())],
    reads: TenantReads,
) -> Response:
    """The caller's own tenant or one of its client tenants."""
    tenant = await service.read_child_or_self(reads, principal, tenant_id)
    return row_response(tenant, version=tenant["version"])


@router.patch(
    "/tenants/{tenant_id}",
    response_model=TenantOut,
    responses=responses(TenantNotFound, SlugTaken, VersionMismatch, FieldRequired),
)
async def update_tenant(
    tenant_id: uuid.UUID,
    data: TenantUpdate,
    principal: Manager,
    session: TenantSession,
    request: Request,
    response: Response,
) -> Tenant:
    """Edit a client tenant (name, slug, logo). Send If-Match with the ETag."""
    tenant = await service.get_child_or_self(session, principal, tenant_id)
    check_if_match(request, tenant.version)
    tenant = await service.update_child(session, principal, tenant, data)
    set_etag(response, tenant.version)
    return tenant


@router.post(
    "/tenants/register",
    response_model=TenantRegistration,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Already registered: the same answer, nothing created"},
        **responses(NotOperator, ExternalIdTaken, SlugTaken, UnknownIndustry),
    },
)
async def register_tenant(
    data: TenantRegister,
    principal: Provisioner,
    session: SystemSession,
    settings: IdentitySettings,
    response: Response,
) -> TenantRegistration:
    """Provision a provider tenant from an industry template (operator only; idempotent on
    external_customer_id). Runs in a system transaction: the dedupe looks across tenants."""
    tenant, created = await service.register(session, principal, data, settings)
    if not created:
        response.status_code = status.HTTP_200_OK
    return await service.registration(session, tenant)
