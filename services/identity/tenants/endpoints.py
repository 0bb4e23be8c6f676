from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select

from libs.common.auth import Principal, Space
from libs.common.deps import SystemSession, TenantSession, require
from libs.common.errors import AUTH_ERRORS, problem_responses
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.identity.deps import IdentitySettings
from services.identity.models import Role, Tenant, User
from services.identity.tenants import repository as repo
from services.identity.tenants import service
from services.identity.tenants.schemas import (
    Tenant as TenantOut,
)
from services.identity.tenants.schemas import (
    TenantCreate,
    TenantRegister,
    TenantRegistration,
    TenantUpdate,
)
from services.identity.users import service as users

router = APIRouter(tags=["tenants"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="clients:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, perm="clients:read"))]
Provisioner = Annotated[Principal, Depends(require(Space.PROVIDER, perm="tenants:provision"))]


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantOut,
    responses={**AUTH_ERRORS, **problem_responses(409, 422)},
)
async def create_tenant(
    data: TenantCreate, principal: Manager, session: TenantSession, response: Response
) -> Tenant:
    """Create a client tenant under the caller's tenant (a provider's brand customer)."""
    tenant = await service.create_child(session, principal, data)
    set_etag(response, tenant.version)
    response.headers["Location"] = f"/tenants/{tenant.id}"
    return tenant


@router.get("/tenants", response_model=Page[TenantOut], responses=AUTH_ERRORS)
async def list_tenants(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    slug: Annotated[str | None, Query(max_length=63)] = None,
) -> Page[TenantOut]:
    """The caller's client tenants, newest first."""
    rows, cursor = await paginate(
        session, repo.children_stmt(principal.tenant_id, slug), page, keys=[Tenant.id]
    )
    return Page(items=[TenantOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/tenants/{tenant_id}",
    response_model=TenantOut,
    responses={**AUTH_ERRORS, **problem_responses(404)},
)
async def get_tenant(
    tenant_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require())],
    session: TenantSession,
    response: Response,
) -> Tenant:
    """The caller's own tenant or one of its client tenants."""
    tenant = await service.get_child_or_self(session, principal, tenant_id)
    set_etag(response, tenant.version)
    return tenant


@router.patch(
    "/tenants/{tenant_id}",
    response_model=TenantOut,
    responses={**AUTH_ERRORS, **problem_responses(404, 409, 412, 422)},
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
        **AUTH_ERRORS,
        **problem_responses(409, 422),
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
    owner = (
        await session.scalars(
            select(User).where(User.tenant_id == tenant.id).order_by(User.id).limit(1)
        )
    ).one()
    roles = (
        await session.scalars(
            select(Role.name).where(Role.tenant_id == tenant.id).order_by(Role.name)
        )
    ).all()
    return TenantRegistration(
        tenant=TenantOut.model_validate(tenant),
        owner=await users.to_out(session, owner),
        roles=list(roles),
    )
