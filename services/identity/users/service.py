"""Users and their role grants: who may create whom, with which roles, in which tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, permission_matches
from libs.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.identity import security
from services.identity.audit.service import record
from services.identity.models import Membership, Role, Tenant, User
from services.identity.users import repository as repo
from services.identity.users.schemas import RoleGrant
from services.identity.users.schemas import User as UserOut


def can_grant(principal: Principal, role: Role) -> bool:
    """No escalation: every permission of the role must be one the caller holds."""
    return all(
        any(permission_matches(g, wanted) for g in principal.permissions)
        for wanted in role.permissions
    )


async def target_tenant(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID | None
) -> Tenant:
    """The caller's own tenant, or one of its client tenants (404 for anything else)."""
    tid = tenant_id or principal.tenant_id
    tenant = await session.get(Tenant, tid)
    if tenant is None or (
        tenant.id != principal.tenant_id and tenant.parent_id != principal.tenant_id
    ):
        raise NotFound("Tenant not found", code="tenant_not_found")
    return tenant


async def resolve_roles(
    session: AsyncSession,
    principal: Principal | None,
    tenant: Tenant,
    names: Sequence[str],
    *,
    only_space: str | None = None,
) -> list[Role]:
    found = await repo.roles_by_name(session, tenant.id, names)
    missing = [n for n in names if n not in found]
    if missing:
        raise Unprocessable(
            f"Unknown role(s) in tenant {tenant.slug}: {', '.join(missing)}", code="unknown_role"
        )
    roles = [found[n] for n in dict.fromkeys(names)]
    for role in roles:
        if only_space and role.space != only_space:
            raise Unprocessable(
                f"Role {role.name} is not a {only_space} role", code="role_not_grantable"
            )
        if principal is not None and not can_grant(principal, role):
            raise Forbidden(f"You may not grant the role {role.name}", code="role_not_grantable")
    return roles


async def to_out(session: AsyncSession, user: User) -> UserOut:
    ms = (await repo.memberships_of(session, [user.id]))[user.id]
    return user_out(user, ms)


def user_out(user: User, memberships: Sequence[Membership]) -> UserOut:
    return UserOut(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        name=user.name,
        status=user.status,
        roles=[
            RoleGrant(role=m.role_name, space=m.space, plant_id=m.plant_id) for m in memberships
        ],
        version=user.version,
        created_at=user.created_at,
    )


async def create_user(
    session: AsyncSession,
    *,
    actor: str,
    tenant: Tenant,
    email: str,
    name: str,
    roles: Sequence[Role],
    password: str | None,
    status: str = "active",
) -> tuple[User, str | None]:
    """Create a user with its role grants. Returns the temporary password when none was given."""
    if await repo.get_by_email(session, tenant.id, email) is not None:
        raise Conflict(
            f"A user with email {email} already exists in this tenant", code="email_taken"
        )
    temporary = None
    if password is None and status == "active":
        temporary = security.temporary_password()
    secret = password or temporary
    user = User(
        tenant_id=tenant.id,
        email=email,
        name=name,
        password_hash=await security.hash_password(secret) if secret else None,
        status=status,
        must_change_password=temporary is not None,
    )
    session.add(user)
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="user.created",
        target=f"user:{user.id}",
        details={"email": email},
    )
    for role in roles:
        await grant(session, actor=actor, user=user, role=role, plant_id=None)
    return user, temporary


async def grant(
    session: AsyncSession, *, actor: str, user: User, role: Role, plant_id: uuid.UUID | None
) -> Membership:
    existing = await repo.find_membership(session, user.id, role.name, plant_id)
    if existing is not None:
        return existing
    m = Membership(
        tenant_id=user.tenant_id,
        user_id=user.id,
        role_id=role.id,
        role_name=role.name,
        space=role.space,
        plant_id=plant_id,
    )
    session.add(m)
    await session.flush()
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=actor,
        action="role.granted",
        target=f"user:{user.id}",
        details={
            "role": role.name,
            "space": role.space,
            "plant_id": str(plant_id) if plant_id else None,
        },
    )
    return m


async def revoke(
    session: AsyncSession, *, actor: str, user: User, role_name: str, plant_id: uuid.UUID | None
) -> None:
    n = await repo.delete_memberships(session, user.id, role_name, plant_id)
    if n == 0:
        raise NotFound(f"The user does not hold the role {role_name}", code="membership_not_found")
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=actor,
        action="role.revoked",
        target=f"user:{user.id}",
        details={"role": role_name, "plant_id": str(plant_id) if plant_id else None},
    )


async def get_visible_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    user = await repo.get(session, user_id)
    if user is None:
        raise NotFound("User not found", code="user_not_found")
    await target_tenant(session, principal, user.tenant_id)
    return user
