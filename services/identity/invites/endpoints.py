from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from libs.common.auth import Principal, Space
from libs.common.deps import SystemSession, TenantSession, require
from services.identity.deps import IdentitySettings
from services.identity.errors import responses
from services.identity.invites import service
from services.identity.invites.errors import (
    InviteExpired,
    InviteNotFound,
    InviteUsed,
    RoleSpaceMismatch,
)
from services.identity.invites.schemas import (
    InviteAccept,
    InviteAccepted,
    InviteCreate,
    InviteCreated,
)
from services.identity.tenants.errors import TenantNotFound
from services.identity.users import service as users
from services.identity.users.errors import RoleNotGrantable, UnknownRole

router = APIRouter(tags=["invites"])


@router.post(
    "/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteCreated,
    responses=responses(TenantNotFound, UnknownRole, RoleNotGrantable, RoleSpaceMismatch),
)
async def create_invite(
    data: InviteCreate,
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="users:manage"))],
    session: TenantSession,
    settings: IdentitySettings,
) -> InviteCreated:
    """Invite someone into the caller's tenant (or a client tenant) with roles of one space.
    The one-time token expires (72 h by default) and is mailed through the outbox."""
    invite, token = await service.create(session, principal, data, settings)
    return InviteCreated(
        id=invite.id,
        tenant_id=invite.tenant_id,
        email=invite.email,
        roles=invite.roles,
        space=invite.space,
        expires_at=invite.expires_at,
        accepted_at=None,
        created_at=invite.created_at,
        token=token,
        accept_url=service.accept_url(settings, token),
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
