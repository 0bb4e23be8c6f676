from __future__ import annotations

from fastapi import APIRouter

from libs.common.deps import CurrentPrincipal, TenantSession
from services.identity.deps import IdentitySettings, Keys
from services.identity.errors import responses
from services.identity.impersonation import service
from services.identity.impersonation.errors import (
    ElevationRequired,
    ImpersonateSelf,
    ImpersonationEscalation,
    ImpersonationForbidden,
    NoMembership,
    SpaceNotAllowed,
    SpaceRequired,
    TargetInactive,
    TenantNotFound,
    UserNotFound,
)
from services.identity.impersonation.schemas import ImpersonationCreate, ImpersonationToken

router = APIRouter(prefix="/impersonations", tags=["impersonation"])


@router.post(
    "",
    response_model=ImpersonationToken,
    responses=responses(
        ElevationRequired,
        ImpersonationForbidden,
        ImpersonationEscalation,
        UserNotFound,
        TenantNotFound,
        ImpersonateSelf,
        TargetInactive,
        SpaceRequired,
        SpaceNotAllowed,
        NoMembership,
    ),
)
async def start_impersonation(
    data: ImpersonationCreate,
    principal: CurrentPrincipal,
    session: TenantSession,
    keys: Keys,
    settings: IdentitySettings,
) -> ImpersonationToken:
    """Act as a user of your tenant or of a client tenant, with a justification, under an
    active break-glass elevation holding `users:impersonate` (use the elevated token). The
    answer is an access token for that user whose `act` claim names you (RFC 8693); it ends
    with the elevation. While impersonating, sensitive fields are masked and passwords, API
    clients, signing keys and elevations are refused (403 `impersonation_forbidden`)."""
    return await service.start(session, keys, settings, principal, data)
