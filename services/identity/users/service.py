"""Users and their role grants: who may create whom, with which roles, in which tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, permission_matches
from libs.common.db import Database
from libs.common.pagination import Page, PageParams
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth import repository as auth_repo
from services.identity.auth import throttle
from services.identity.models import Membership, Role, Tenant, User
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.access import target_tenant
from services.identity.tenants.errors import ClientMismatch, ClientNotFound
from services.identity.users import repository as repo
from services.identity.users.errors import (
    EmailTaken,
    MembershipNotFound,
    MissingPermission,
    RoleNotGrantable,
    RoleNotOfSpace,
    UnknownPlant,
    UnknownRole,
    UserNotFound,
)
from services.identity.users.plants import PlantDirectory
from services.identity.users.schemas import (
    ClientUserCreate,
    RoleGrant,
    RoleGrantCreate,
    UserCreate,
    UserUpdate,
)
from services.identity.users.schemas import User as UserOut


def can_grant(principal: Principal, role: Role) -> bool:
    """No escalation: every permission of the role must be one the caller holds."""
    return all(
        any(permission_matches(g, wanted) for g in principal.permissions)
        for wanted in role.permissions
    )


async def resolve_roles(
    session: AsyncSession,
    principal: Principal | None,
    tenant: Tenant,
    names: Sequence[str],
    *,
    only_spaces: Sequence[str] = (),
) -> list[Role]:
    found = await repo.roles_by_name(session, tenant.id, names)
    missing = [n for n in names if n not in found]
    if missing:
        raise UnknownRole(f"Unknown role(s) in tenant {tenant.slug}: {', '.join(missing)}")
    roles = [found[n] for n in dict.fromkeys(names)]
    for role in roles:
        if only_spaces and role.space not in only_spaces:
            raise RoleNotOfSpace(f"Role {role.name} is not a {' or '.join(only_spaces)} role")
        if principal is not None and not can_grant(principal, role):
            raise RoleNotGrantable(f"You may not grant the role {role.name}")
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
        raise EmailTaken(f"A user with email {email} already exists in this tenant")
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
        raise MembershipNotFound(f"The user does not hold the role {role_name}")
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
        raise UserNotFound("User not found")
    await target_tenant(session, principal, user.tenant_id)
    return user


async def list_users(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    tenant_id: uuid.UUID | None,
    email: str | None,
) -> Page[UserOut]:
    tenant = await target_tenant(session, principal, tenant_id)
    rows, cursor = await repo.list_page(session, tenant.id, email, page)
    ms = await repo.memberships_of(session, [u.id for u in rows])
    return Page(items=[user_out(u, ms[u.id]) for u in rows], next_cursor=cursor)


async def create_user_from_request(
    session: AsyncSession, principal: Principal, data: UserCreate
) -> tuple[User, str | None]:
    tenant = await target_tenant(session, principal, data.tenant_id)
    roles = await resolve_roles(session, principal, tenant, data.roles)
    return await create_user(
        session,
        actor=principal.subject,
        tenant=tenant,
        email=str(data.email),
        name=data.name,
        roles=roles,
        password=data.password,
    )


async def create_client_user(
    session: AsyncSession, principal: Principal, data: ClientUserCreate
) -> tuple[User, str | None]:
    """A user of one of the caller's client tenants, named by slug and/or id."""
    if not (principal.has_permission("clients:manage") or principal.has_permission("users:manage")):
        raise MissingPermission("Missing permission clients:manage")
    by_slug = (
        await tenants_repo.get_by_slug(session, data.client_slug) if data.client_slug else None
    )
    by_id = await tenants_repo.get(session, data.client_id) if data.client_id else None
    both = data.client_slug is not None and data.client_id is not None
    if both and (by_slug is None or by_id is None or by_slug.id != by_id.id):
        raise ClientMismatch("client_slug and client_id name different tenants")
    tenant = by_slug or by_id
    if tenant is None or tenant.parent_id != principal.tenant_id or tenant.kind != "client":
        raise ClientNotFound("Client tenant not found")
    # a client's people: CLIENT roles, and ACCOUNTING ones (a dealer reading its prices)
    roles = await resolve_roles(
        session, principal, tenant, data.roles, only_spaces=("CLIENT", "ACCOUNTING")
    )
    return await create_user(
        session,
        actor=principal.subject,
        tenant=tenant,
        email=str(data.email),
        name=data.name,
        roles=roles,
        password=data.password,
    )


async def update_user(
    session: AsyncSession, principal: Principal, user: User, data: UserUpdate
) -> User:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=principal.subject,
        action="user.updated",
        target=f"user:{user.id}",
        details=changes,
    )
    return user


async def grant_role(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    data: RoleGrantCreate,
    plants: PlantDirectory,
    authorization: str,
) -> User:
    """Grant a role of the user's tenant, optionally for one plant only. The plant must be
    one of the user's tenant: production is asked (with the caller's token), and a client
    tenant has no plants."""
    user = await get_visible_user(session, principal, user_id)
    tenant = await target_tenant(session, principal, user.tenant_id)
    (role,) = await resolve_roles(session, principal, tenant, [data.role])
    if data.plant_id is not None:
        if tenant.id != principal.tenant_id:
            raise UnknownPlant(f"Plant {data.plant_id} is not a plant of tenant {tenant.slug}")
        await plants.require(data.plant_id, authorization)
    await grant(session, actor=principal.subject, user=user, role=role, plant_id=data.plant_id)
    return user


async def set_password(
    session: AsyncSession, db: Database, principal: Principal, user: User, password: str
) -> None:
    """An admin sets a user's password (activates an invited user)."""
    user.password_hash = await security.hash_password(password)
    user.must_change_password = False
    if user.status == "invited":
        user.status = "active"
    await session.flush()
    # A new password: the old sessions end, and a login lock of the account is lifted.
    revoked = await auth_repo.revoke_all_of_user(session, user.id)
    tenant = await tenants_repo.get(session, user.tenant_id)
    if tenant is not None:
        # login counters are the login's alone (system transactions only)
        async with db.transaction(system=True) as s:
            await auth_repo.clear_throttle(s, throttle.account_key(tenant.slug, user.email))
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=principal.subject,
        action="user.password_set",
        target=f"user:{user.id}",
        details={"refresh_tokens_revoked": revoked},
    )
