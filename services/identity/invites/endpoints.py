from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from libs.common.auth import Principal, Space
from libs.common.deps import SystemSession, TenantSession, require
from services.identity.auth.schemas import TokenResponse
from services.identity.deps import IdentitySettings, Keys
from services.identity.errors import responses
from services.identity.invites import service
from services.identity.invites.errors import (
    InviteExpired,
    InviteNotFound,
    InviteRevoked,
    InviteUsed,
    MagicLinkEmailMismatch,
    MagicLinkExpired,
    MagicLinkNotFound,
    MagicLinkSpaceOnly,
    MagicLinkUsed,
    RoleSpaceMismatch,
)
from services.identity.invites.schemas import (
    InviteAccept,
    InviteAccepted,
    InviteCreate,
    InviteCreated,
    MagicLinkRequest,
    MagicLinkRequested,
    MagicLinkSignIn,
)
from services.identity.tenants.errors import TenantNotFound
from services.identity.users import service as users
from services.identity.users.errors import RoleNotGrantable, UnknownRole

router = APIRouter(tags=["invites"])


@router.post(
    "/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteCreated,
    responses=responses(
        TenantNotFound, UnknownRole, RoleNotGrantable, RoleSpaceMismatch, MagicLinkSpaceOnly
    ),
)
async def create_invite(
    data: InviteCreate,
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="users:manage"))],
    session: TenantSession,
    settings: IdentitySettings,
) -> InviteCreated:
    """Invite someone into the caller's tenant (or a client tenant) with roles of one space.
    The one-time token expires (72 h by default) and is mailed through the outbox. With
    `login: magic_link` (DEVELOPER space: an integration partner's people) no password is
    ever set: the invitee gets a one-time sign-in link by mail (and asks for new ones at
    `POST /auth/magic-link`); the response then carries no token."""
    invite, token = await service.create(session, principal, data, settings)
    return InviteCreated(
        id=invite.id,
        tenant_id=invite.tenant_id,
        email=invite.email,
        roles=invite.roles,
        space=invite.space,
        login=invite.login,
        expires_at=invite.expires_at,
        accepted_at=None,
        created_at=invite.created_at,
        token=token,
        accept_url=service.accept_url(settings, token) if token else None,
    )


@router.post(
    "/invites/{token}/accept",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteAccepted,
    responses=responses(InviteNotFound, InviteUsed, InviteExpired, auth=False),
)
async def accept_invite(
    token: Annotated[str, Path(min_length=10, max_length=256)],
    data: InviteAccept,
    session: SystemSession,
) -> InviteAccepted:
    """Public: set a password and join. The token works once."""
    user, tenant = await service.accept(session, token, data)
    return InviteAccepted(user=await users.to_out(session, user), tenant_slug=tenant.slug)


@router.post(
    "/auth/magic-link",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MagicLinkRequested,
    responses=responses(auth=False),
)
async def request_magic_link(
    data: MagicLinkRequest, session: SystemSession, settings: IdentitySettings
) -> MagicLinkRequested:
    """Public: mail a new one-time sign-in link to an email invited by magic link into the
    tenant (at most one a minute). 202 either way: it tells nothing about who is invited."""
    await service.request_magic_link(session, settings, data)
    return MagicLinkRequested()


@router.post(
    "/auth/magic-link/{token}",
    response_model=TokenResponse,
    responses=responses(
        MagicLinkNotFound,
        MagicLinkUsed,
        MagicLinkExpired,
        MagicLinkEmailMismatch,
        InviteRevoked,
        auth=False,
    ),
)
async def sign_in_with_magic_link(
    token: Annotated[str, Path(min_length=10, max_length=256)],
    data: MagicLinkSignIn,
    session: SystemSession,
    keystore: Keys,
    settings: IdentitySettings,
) -> TokenResponse:
    """Public: sign in with the mailed link and the email it was sent to. The link works
    once and for 15 minutes; the token is for the invite's space (DEVELOPER) and roles."""
    return await service.sign_in_with_magic_link(
        session, keystore, settings, token, str(data.email)
    )
