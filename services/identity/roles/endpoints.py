from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.identity.errors import VersionMismatch, responses
from services.identity.models import Role
from services.identity.roles import service
from services.identity.roles.errors import (
    PermissionEscalation,
    RoleExists,
    RoleNotFound,
    RoleSpaceNotAllowed,
    SystemRole,
)
from services.identity.roles.schemas import Role as RoleOut
from services.identity.roles.schemas import RoleCreate, RoleUpdate
from services.identity.tenants.errors import TenantNotFound

router = APIRouter(tags=["roles"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="roles:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="users:read"))]


@router.get("/roles", response_model=Page[RoleOut], responses=responses(TenantNotFound))
async def list_roles(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    tenant_id: Annotated[
        uuid.UUID | None, Query(description="A client tenant of the caller")
    ] = None,
) -> Page[RoleOut]:
    """Roles of the caller's tenant (system and custom), or of one of its client tenants."""
    return await service.list_roles(session, principal, page, tenant_id)


@router.post(
    "/roles",
    status_code=status.HTTP_201_CREATED,
    response_model=RoleOut,
    responses=responses(TenantNotFound, RoleExists, RoleSpaceNotAllowed, PermissionEscalation),
)
async def create_role(
    data: RoleCreate, principal: Manager, session: TenantSession, response: Response
) -> Role:
    """A custom role with `resource:action` permissions; only permissions the caller holds."""
    role = await service.create_role(session, principal, data)
    set_etag(response, role.version)
    return role


@router.get("/roles/{role_id}", response_model=RoleOut, responses=responses(RoleNotFound))
async def get_role(
    role_id: uuid.UUID, principal: Reader, session: TenantSession, response: Response
) -> Role:
    role = await service.get_role(session, principal, role_id)
    set_etag(response, role.version)
    return role


@router.patch(
    "/roles/{role_id}",
    response_model=RoleOut,
    responses=responses(RoleNotFound, SystemRole, PermissionEscalation, VersionMismatch),
)
async def update_role(
    role_id: uuid.UUID,
    data: RoleUpdate,
    principal: Manager,
    session: TenantSession,
    request: Request,
    response: Response,
) -> Role:
    """Edit a custom role (system roles come from the templates). Send If-Match."""
    role = await service.get_role(session, principal, role_id)
    check_if_match(request, role.version)
    role = await service.update_role(session, principal, role, data)
    set_etag(response, role.version)
    return role
