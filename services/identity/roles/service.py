"""Roles: the system ones come from the templates; a tenant defines its own, never with
permissions its author does not hold."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.pagination import Page, PageParams
from services.identity.audit.service import record
from services.identity.models import Role
from services.identity.roles import repository as repo
from services.identity.roles.errors import (
    PermissionEscalation,
    RoleExists,
    RoleNotFound,
    RoleSpaceNotAllowed,
    SystemRole,
)
from services.identity.roles.schemas import Role as RoleOut
from services.identity.roles.schemas import RoleCreate, RoleUpdate
from services.identity.tenants.access import target_tenant
from services.identity.tenants.errors import TenantNotFound
from services.identity.users.service import can_grant


async def list_roles(
    session: AsyncSession, principal: Principal, page: PageParams, tenant_id: uuid.UUID | None
) -> Page[RoleOut]:
    tenant = await target_tenant(session, principal, tenant_id)
    rows, cursor = await repo.list_page(session, tenant.id, page)
    return Page(items=[RoleOut.model_validate(r) for r in rows], next_cursor=cursor)


async def get_role(session: AsyncSession, principal: Principal, role_id: uuid.UUID) -> Role:
    role = await repo.get(session, role_id)
    if role is None:
        raise RoleNotFound("Role not found")
    try:
        await target_tenant(session, principal, role.tenant_id)
    except TenantNotFound:
        raise RoleNotFound("Role not found") from None
    return role


async def create_role(session: AsyncSession, principal: Principal, data: RoleCreate) -> Role:
    tenant = await target_tenant(session, principal, data.tenant_id)
    if tenant.kind == "client" and data.space not in (Space.CLIENT, Space.DEVELOPER):
        raise RoleSpaceNotAllowed("A client tenant's roles are CLIENT or DEVELOPER roles")
    if await repo.exists(session, tenant.id, data.name):
        raise RoleExists(f"Role {data.name} exists")
    role = Role(
        tenant_id=tenant.id,
        name=data.name,
        space=data.space.value,
        description=data.description,
        permissions=sorted(set(data.permissions)),
        system=False,
    )
    if not can_grant(principal, role):
        raise PermissionEscalation("A role cannot carry permissions you do not hold")
    await repo.add(session, role)
    await record(
        session,
        tenant_id=tenant.id,
        actor=principal.subject,
        action="role.created",
        target=f"role:{role.name}",
        details={"permissions": role.permissions, "space": role.space},
    )
    return role


async def update_role(
    session: AsyncSession, principal: Principal, role: Role, data: RoleUpdate
) -> Role:
    if role.system:
        raise SystemRole("System roles are defined by the templates")
    if data.description is not None:
        role.description = data.description
    if data.permissions is not None:
        role.permissions = sorted(set(data.permissions))
        if not can_grant(principal, role):
            raise PermissionEscalation("A role cannot carry permissions you do not hold")
    await session.flush()
    await record(
        session,
        tenant_id=role.tenant_id,
        actor=principal.subject,
        action="role.updated",
        target=f"role:{role.name}",
        details={"permissions": role.permissions},
    )
    return role
