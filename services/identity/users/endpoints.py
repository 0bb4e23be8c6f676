from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from libs.common.auth import Principal, Space
from libs.common.deps import CurrentPrincipal, TenantSession, require
from libs.common.errors import AUTH_ERRORS, Forbidden, NotFound, Unprocessable, problem_responses
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.identity import security
from services.identity.audit.service import record
from services.identity.models import User
from services.identity.tenants import repository as tenants_repo
from services.identity.users import repository as repo
from services.identity.users import service
from services.identity.users.schemas import (
    ClientUserCreate,
    PasswordChange,
    PasswordSet,
    RoleGrantCreate,
    UserCreate,
    UserCreated,
    UserUpdate,
)
from services.identity.users.schemas import User as UserOut

router = APIRouter(tags=["users"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="users:manage"))]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="users:read"))]


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    responses={**AUTH_ERRORS, **problem_responses(404, 409, 422)},
)
async def create_user(
    data: UserCreate, principal: Manager, session: TenantSession, response: Response
) -> UserCreated:
    """Create a user in the caller's tenant (or a client tenant of it) with roles.
    Answers a temporary password, shown once, unless `password` was given."""
    tenant = await service.target_tenant(session, principal, data.tenant_id)
    roles = await service.resolve_roles(session, principal, tenant, data.roles)
    user, temporary = await service.create_user(
        session,
        actor=principal.subject,
        tenant=tenant,
        email=str(data.email),
        name=data.name,
        roles=roles,
        password=data.password,
    )
    set_etag(response, user.version)
    out = await service.to_out(session, user)
    return UserCreated(**out.model_dump(), temporary_password=temporary)


@router.post(
    "/client-users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    responses={**AUTH_ERRORS, **problem_responses(404, 409, 422)},
)
async def create_client_user(
    data: ClientUserCreate,
    principal: Annotated[Principal, Depends(require(Space.PROVIDER))],
    session: TenantSession,
    response: Response,
) -> UserCreated:
    """Create a user of one of the caller's client tenants, named by slug and/or id (both
    must name the same tenant). Client-space roles only; CLIENT_VIEWER by default."""
    if not (principal.has_permission("clients:manage") or principal.has_permission("users:manage")):
        raise Forbidden("Missing permission clients:manage", code="missing_permission")
    by_slug = (
        await tenants_repo.get_by_slug(session, data.client_slug) if data.client_slug else None
    )
    by_id = await tenants_repo.get(session, data.client_id) if data.client_id else None
    both = data.client_slug is not None and data.client_id is not None
    if both and (by_slug is None or by_id is None or by_slug.id != by_id.id):
        raise Unprocessable(
            "client_slug and client_id name different tenants", code="client_mismatch"
        )
    tenant = by_slug or by_id
    if tenant is None or tenant.parent_id != principal.tenant_id or tenant.kind != "client":
        raise NotFound("Client tenant not found", code="client_not_found")
    roles = await service.resolve_roles(session, principal, tenant, data.roles, only_space="CLIENT")
    user, temporary = await service.create_user(
        session,
        actor=principal.subject,
        tenant=tenant,
        email=str(data.email),
        name=data.name,
        roles=roles,
        password=data.password,
    )
    set_etag(response, user.version)
    out = await service.to_out(session, user)
    return UserCreated(**out.model_dump(), temporary_password=temporary)


@router.get("/users", response_model=Page[UserOut], responses=AUTH_ERRORS)
async def list_users(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    tenant_id: Annotated[
        uuid.UUID | None, Query(description="A client tenant of the caller")
    ] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Page[UserOut]:
    """Users of the caller's tenant (or of one of its client tenants), newest first."""
    tenant = await service.target_tenant(session, principal, tenant_id)
    rows, cursor = await paginate(session, repo.list_stmt(tenant.id, email), page, keys=[User.id])
    ms = await repo.memberships_of(session, [u.id for u in rows])
    return Page(items=[service.user_out(u, ms[u.id]) for u in rows], next_cursor=cursor)


@router.get(
    "/users/{user_id}", response_model=UserOut, responses={**AUTH_ERRORS, **problem_responses(404)}
)
async def get_user(
    user_id: uuid.UUID, principal: Reader, session: TenantSession, response: Response
) -> UserOut:
    user = await service.get_visible_user(session, principal, user_id)
    set_etag(response, user.version)
    return await service.to_out(session, user)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses={**AUTH_ERRORS, **problem_responses(404, 412)},
)
async def update_user(
    user_id: uuid.UUID,
    data: UserUpdate,
    principal: Manager,
    session: TenantSession,
    request: Request,
    response: Response,
) -> UserOut:
    """Rename, disable or re-enable a user. Send If-Match with the ETag."""
    user = await service.get_visible_user(session, principal, user_id)
    check_if_match(request, user.version)
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
    set_etag(response, user.version)
    return await service.to_out(session, user)


@router.post(
    "/users/{user_id}/roles",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses={**AUTH_ERRORS, **problem_responses(404, 422)},
)
async def grant_user_role(
    user_id: uuid.UUID, data: RoleGrantCreate, principal: Manager, session: TenantSession
) -> UserOut:
    """Grant a role of the user's tenant, optionally limited to one plant."""
    user = await service.get_visible_user(session, principal, user_id)
    tenant = await service.target_tenant(session, principal, user.tenant_id)
    (role,) = await service.resolve_roles(session, principal, tenant, [data.role])
    await service.grant(
        session, actor=principal.subject, user=user, role=role, plant_id=data.plant_id
    )
    return await service.to_out(session, user)


@router.delete(
    "/users/{user_id}/roles/{role}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**AUTH_ERRORS, **problem_responses(404)},
)
async def revoke_user_role(
    user_id: uuid.UUID,
    role: str,
    principal: Manager,
    session: TenantSession,
    plant_id: uuid.UUID | None = None,
) -> Response:
    """Revoke a role (all its plant scopes unless plant_id is given)."""
    user = await service.get_visible_user(session, principal, user_id)
    await service.revoke(
        session, actor=principal.subject, user=user, role_name=role, plant_id=plant_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/users/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**AUTH_ERRORS, **problem_responses(404, 422)},
)
async def set_user_password(
    user_id: uuid.UUID, data: PasswordSet, principal: Manager, session: TenantSession
) -> Response:
    """An admin sets the password of a user of its tenant or a client tenant (activates it)."""
    user = await service.get_visible_user(session, principal, user_id)
    user.password_hash = await security.hash_password(data.password)
    user.must_change_password = False
    if user.status == "invited":
        user.status = "active"
    await session.flush()
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=principal.subject,
        action="user.password_set",
        target=f"user:{user.id}",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**AUTH_ERRORS, **problem_responses(422)},
)
async def change_my_password(
    data: PasswordChange, principal: CurrentPrincipal, session: TenantSession
) -> Response:
    """Change one's own password (the current one is required)."""
    user = await repo.get(session, principal.user_id) if principal.user_id else None
    if user is None:
        raise Forbidden("Only users have passwords", code="not_a_user")
    if not await security.verify_password(user.password_hash, data.current_password):
        raise Unprocessable("The current password is wrong", code="wrong_password")
    user.password_hash = await security.hash_password(data.new_password)
    user.must_change_password = False
    await session.flush()
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=principal.subject,
        action="user.password_changed",
        target=f"user:{user.id}",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
