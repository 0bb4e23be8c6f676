from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from libs.common.auth import Principal
from libs.common.deps import CurrentPrincipal, TenantSession, require
from libs.common.errors import ImpersonationForbidden
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from services.identity.auth.schemas import TokenResponse
from services.identity.deps import Db, IdentitySettings, Keys
from services.identity.elevations import service
from services.identity.elevations.errors import (
    ElevationNotApproved,
    ElevationNotFound,
    ElevationNotPending,
    ElevationOver,
    NotAUser,
    NotTheRequester,
    PermissionEscalation,
    SelfApproval,
    WrongPassword,
)
from services.identity.elevations.schemas import Elevation as ElevationOut
from services.identity.elevations.schemas import (
    ElevationCreate,
    ElevationStart,
    ElevationStatus,
)
from services.identity.errors import responses
from services.identity.models import Elevation

router = APIRouter(prefix="/elevations", tags=["elevations"])

Approver = Annotated[Principal, Depends(require(perm=service.APPROVE, impersonation=False))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ElevationOut,
    responses=responses(NotAUser),
)
async def request_elevation(
    data: ElevationCreate, principal: CurrentPrincipal, session: TenantSession, response: Response
) -> Elevation:
    """Break-glass: ask for `scopes` for `duration_minutes` (default 60, at most 480), with
    a reason. Another admin approves; then the requester starts it with its password."""
    e = await service.request(session, principal, data)
    set_etag(response, e.version)
    return e


@router.get("", response_model=Page[ElevationOut], responses=responses())
async def list_elevations(
    principal: CurrentPrincipal,
    session: TenantSession,
    page: PageQuery,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> Page[ElevationOut]:
    """The tenant's elevations (approvers), or one's own, newest first."""
    return await service.list_elevations(session, principal, page, status_)


@router.get("/{elevation_id}", response_model=ElevationOut, responses=responses(ElevationNotFound))
async def get_elevation(
    elevation_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> Elevation:
    return await service.get(session, principal, elevation_id)


@router.get(
    "/{elevation_id}/status",
    response_model=ElevationStatus,
    responses=responses(ElevationNotFound),
)
async def get_elevation_status(
    elevation_id: uuid.UUID, principal: CurrentPrincipal, db: Db
) -> ElevationStatus:
    """Whether the elevation the caller's token carries is still active: every service asks
    (with the elevated token itself, cached a few seconds) before it honours the token's
    `elev` scopes, so a revocation holds before the token expires. 404 for any elevation
    the token does not carry."""
    return await service.token_status(db, principal, elevation_id)


@router.post(
    "/{elevation_id}/approve",
    response_model=ElevationOut,
    responses=responses(
        ElevationNotFound,
        SelfApproval,
        ElevationNotPending,
        PermissionEscalation,
        ImpersonationForbidden,
    ),
)
async def approve_elevation(
    elevation_id: uuid.UUID, principal: Approver, session: TenantSession
) -> Elevation:
    """Another admin (with `elevations:approve`, holding the scopes) approves."""
    return await service.decide(session, principal, elevation_id, approve=True)


@router.post(
    "/{elevation_id}/deny",
    response_model=ElevationOut,
    responses=responses(
        ElevationNotFound, SelfApproval, ElevationNotPending, ImpersonationForbidden
    ),
)
async def deny_elevation(
    elevation_id: uuid.UUID, principal: Approver, session: TenantSession
) -> Elevation:
    return await service.decide(session, principal, elevation_id, approve=False)


@router.post(
    "/{elevation_id}/start",
    response_model=TokenResponse,
    responses=responses(ElevationNotFound, NotTheRequester, ElevationNotApproved, WrongPassword),
)
async def start_elevation(
    elevation_id: uuid.UUID,
    data: ElevationStart,
    principal: CurrentPrincipal,
    session: TenantSession,
    db: Db,
    keys: Keys,
    settings: IdentitySettings,
) -> TokenResponse:
    """The requester re-authenticates; the answer is an access token whose `elev` claim
    carries the scopes and the elevation's end."""
    return await service.start(session, db, keys, settings, principal, elevation_id, data.password)


@router.post(
    "/{elevation_id}/revoke",
    response_model=ElevationOut,
    responses=responses(ElevationNotFound, ElevationOver),
)
async def revoke_elevation(
    elevation_id: uuid.UUID, principal: CurrentPrincipal, session: TenantSession
) -> Elevation:
    """End it now (the requester or an approver)."""
    return await service.revoke(session, principal, elevation_id)
