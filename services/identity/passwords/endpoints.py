from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from libs.common.deps import PasswordChangePrincipal, SystemSession, refuse_impersonation
from libs.common.errors import ImpersonationForbidden
from services.identity.deps import PendingPasswordSession
from services.identity.errors import responses
from services.identity.passwords import service
from services.identity.passwords.errors import (
    NotAUser,
    ResetExpired,
    ResetNotFound,
    ResetUsed,
    WrongPassword,
)
from services.identity.passwords.schemas import (
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetComplete,
    PasswordResetRequest,
)

router = APIRouter(tags=["passwords"])


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotAUser, WrongPassword, ImpersonationForbidden),
)
async def change_my_password(
    data: PasswordChange, principal: PasswordChangePrincipal, session: PendingPasswordSession
) -> Response:
    """Change one's own password (the current one is required). The one operation a token
    issued on a temporary password may call. Every refresh token of the user is revoked:
    sign in again with the new password. Never while impersonating."""
    refuse_impersonation(principal)
    await service.change_password(session, principal, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PasswordResetAccepted,
    responses=responses(auth=False),
)
async def request_password_reset(
    data: PasswordResetRequest, session: SystemSession
) -> PasswordResetAccepted:
    """Public: mail a one-time reset link to the account, if there is one. The answer is
    202 either way, so it tells nothing about which accounts exist."""
    await service.request_reset(session, data)
    return PasswordResetAccepted()


@router.post(
    "/auth/password-reset/{token}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ResetNotFound, ResetUsed, ResetExpired, auth=False),
)
async def complete_password_reset(
    token: Annotated[str, Path(min_length=10, max_length=256)],
    data: PasswordResetComplete,
    session: SystemSession,
) -> Response:
    """Public: set a new password with the mailed link's token. The link works once; every
    refresh token of the user is revoked."""
    await service.complete_reset(session, token, data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
