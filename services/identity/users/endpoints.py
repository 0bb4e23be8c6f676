from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import ImpersonationForbidden
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.identity.deps import Db, Plants
from services.identity.errors import VersionMismatch, responses
from services.identity.tenants.errors import ClientMismatch, ClientNotFound, TenantNotFound
from services.identity.users import service
from services.identity.users.errors import (
    EmailTaken,
    MembershipNotFound,
    MissingPermission,
    PlantNotVisible,
    ProductionUnavailable,
    RoleNotGrantable,
    RoleNotOfSpace,
    UnknownPlant,
    UnknownRole,
    UserNotFound,
)
from services.identity.users.schemas import (
    ClientUserCreate,
    PasswordSet,
    RoleGrantCreate,
    UserCreate,
    UserCreated,
    UserUpdate,
)
from services.identity.users.schemas import User as UserOut

router = APIRouter(tags=["users"])

Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="users:manage"))]
# an impersonator never sets a password
PasswordSetter = Annotated[
    Principal, Depends(require(Space.PROVIDER, perm="users:manage", impersonation=False))
]
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="users:read"))]


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    responses=responses(TenantNotFound, EmailTaken, UnknownRole, RoleNotGrantable),
)
async def create_user(
    data: UserCreate, principal: Manager, session: TenantSession, response: Response
) -> UserCreated:
    """Create a user in the caller's tenant (or a client tenant of it) with roles.
    Answers a temporary password, shown once, unless `password` was given; a user signing
    in with it must change it before doing anything else."""
    user, temporary = await service.create_user_from_request(session, principal, data)
    set_etag(response, user.version)
    out = await service.to_out(session, user)
    return UserCreated(**out.model_dump(), temporary_password=temporary)


@router.post(
    "/client-users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserCreated,
    responses=responses(
        ClientNotFound,
        ClientMismatch,
        EmailTaken,
        UnknownRole,
        RoleNotOfSpace,
        RoleNotGrantable,
        MissingPermission,
    ),
)
async def create_client_user(
    data: ClientUserCreate,
    principal: Annotated[Principal, Depends(require(Space.PROVIDER))],
    session: TenantSession,
    response: Response,
) -> UserCreated:
    """Create a user of one of the caller's client tenants, named by slug and/or id (both
    must name the same tenant). CLIENT and ACCOUNTING roles only; CLIENT_VIEWER by default."""
    user, temporary = await service.create_client_user(session, principal, data)
    set_etag(response, user.version)
    out = await service.to_out(session, user)
    return UserCreated(**out.model_dump(), temporary_password=temporary)


@router.get("/users", response_model=Page[UserOut], responses=responses(TenantNotFound))
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
    return await service.list_users(session, principal, page, tenant_id, email)


@router.get("/users/{user_id}", response_model=UserOut, responses=responses(UserNotFound))
async def get_user(
    user_id: uuid.UUID, principal: Reader, session: TenantSession, response: Response
) -> UserOut:
    user = await service.get_visible_user(session, principal, user_id)
    set_etag(response, user.version)
    return await service.to_out(session, user)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=responses(UserNotFound, VersionMismatch),
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
    user = await service.update_user(session, principal, user, data)
    set_etag(response, user.version)
    return await service.to_out(session, user)


@router.post(
    "/users/{user_id}/roles",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(
        UserNotFound,
        UnknownRole,
        RoleNotGrantable,
        UnknownPlant,
        PlantNotVisible,
        ProductionUnavailable,
    ),
)
async def grant_user_role(
    user_id: uuid.UUID,
    data: RoleGrantCreate,
    principal: Manager,
    session: TenantSession,
    plants: Plants,
    request: Request,
) -> UserOut:
    """Grant a role of the user's tenant, optionally for one plant only (its permissions
    then hold for that plant alone). The plant must be one of the tenant's (422
    `unknown_plant`)."""
    user = await service.grant_role(
        session, principal, user_id, data, plants, request.headers.get("authorization", "")
    )
    return await service.to_out(session, user)


@router.delete(
    "/users/{user_id}/roles/{role}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(UserNotFound, MembershipNotFound),
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
    responses=responses(UserNotFound, ImpersonationForbidden),
)
async def set_user_password(
    user_id: uuid.UUID, data: PasswordSet, principal: PasswordSetter, session: TenantSession, db: Db
) -> Response:
    """An admin sets the password of a user of its tenant or a client tenant (activates it;
    ends its sessions and lifts a login hold of the account)."""
    user = await service.get_visible_user(session, principal, user_id)
    await service.set_password(session, db, principal, user, data.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
