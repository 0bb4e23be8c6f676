from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import (
    AUTH_ERRORS,
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    problem_responses,
)
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.identity.audit.service import record
from services.identity.models import Role
from services.identity.roles.schemas import Role as RoleOut
from services.identity.roles.schemas import RoleCreate, RoleUpdate
from services.identity.users import service as users

router = APIRouter(tags=["roles"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="roles:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="users:read"))]


@router.get("/roles", response_model=Page[RoleOut], responses=AUTH_ERRORS)
async def list_roles(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    tenant_id: Annotated[
        uuid.UUID | None, Query(description="A client tenant of the caller")
    ] = None,
) -> Page[RoleOut]:
    """Roles of the caller's tenant (system and custom), or of one of its client tenants."""
    tenant = await users.target_tenant(session, principal, tenant_id)
    rows, cursor = await paginate(
        session, select(Role).where(Role.tenant_id == tenant.id), page, keys=[Role.id]
    )
    return Page(items=[RoleOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/roles",
    status_code=status.HTTP_201_CREATED,
    response_model=RoleOut,
    responses={**AUTH_ERRORS, **problem_responses(404, 409, 422)},
)
async def create_role(
    data: RoleCreate, principal: Manager, session: TenantSession, response: Response
) -> Role:
    """A custom role with `resource:action` permissions; only permissions the caller holds."""
    tenant = await users.target_tenant(session, principal, data.tenant_id)
    if tenant.kind == "client" and data.space not in (Space.CLIENT, Space.DEVELOPER):
        raise Unprocessable(
            "A client tenant's roles are CLIENT or DEVELOPER roles", code="role_space_not_allowed"
        )
    exists = await session.scalar(
        select(Role.id).where(Role.tenant_id == tenant.id, Role.name == data.name)
    )
    if exists:
        raise Conflict(f"Role {data.name} exists", code="role_exists")
    role = Role(
        tenant_id=tenant.id,
        name=data.name,
        space=data.space.value,
        description=data.description,
        permissions=sorted(set(data.permissions)),
        system=False,
    )
    if not users.can_grant(principal, role):
        raise Forbidden(
            "A role cannot carry permissions you do not hold", code="permission_escalation"
        )
    session.add(role)
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor=principal.subject,
        action="role.created",
        target=f"role:{role.name}",
        details={"permissions": role.permissions, "space": role.space},
    )
    set_etag(response, role.version)
    return role


@router.get(
    "/roles/{role_id}", response_model=RoleOut, responses={**AUTH_ERRORS, **problem_responses(404)}
)
async def get_role(
    role_id: uuid.UUID, principal: Reader, session: TenantSession, response: Response
) -> Role:
    role = await session.get(Role, role_id)
    if role is None:
        raise NotFound("Role not found", code="role_not_found")
    await users.target_tenant(session, principal, role.tenant_id)
    set_etag(response, role.version)
    return role


@router.patch(
    "/roles/{role_id}",
    response_model=RoleOut,
    responses={**AUTH_ERRORS, **problem_responses(404, 412, 422)},
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
    role = await session.get(Role, role_id)
    if role is None:
        raise NotFound("Role not found", code="role_not_found")
    await users.target_tenant(session, principal, role.tenant_id)
    if role.system:
        raise Forbidden("System roles are defined by the templates", code="system_role")
    check_if_match(request, role.version)
    if data.description is not None:
        role.description = data.description
    if data.permissions is not None:
        role.permissions = sorted(set(data.permissions))
        if not users.can_grant(principal, role):
            raise Forbidden(
                "A role cannot carry permissions you do not hold", code="permission_escalation"
            )
    await session.flush()
    await record(
        session,
        tenant_id=role.tenant_id,
        actor=principal.subject,
        action="role.updated",
        target=f"role:{role.name}",
        details={"permissions": role.permissions},
    )
    set_etag(response, role.version)
    return role
