"""Invites: a one-time token (kept as its sha256) that lets someone set a password and join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.outbox import emit_event
from services.identity import security
from services.identity.audit.service import record
from services.identity.config import Settings
from services.identity.invites import repository as repo
from services.identity.invites.errors import (
    InviteExpired,
    InviteNotFound,
    InviteUsed,
    RoleSpaceMismatch,
)
from services.identity.invites.schemas import InviteAccept, InviteCreate
from services.identity.models import Invite, Tenant, User, outbox
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.access import target_tenant
from services.identity.users import repository as users_repo
from services.identity.users import service as users


def accept_url(settings: Settings, token: str) -> str:
    """Where the mailed link points: the public acceptance route, through the gateway
    (`POST` it with a password and a name)."""
    return f"{settings.public_base_url.rstrip('/')}/v1/identity/invites/{token}/accept"


async def create(
    session: AsyncSession, principal: Principal, data: InviteCreate, settings: Settings
) -> tuple[Invite, str]:
    tenant = await target_tenant(session, principal, data.tenant_id)
    roles = await users.resolve_roles(session, principal, tenant, data.roles)
    wrong = [r.name for r in roles if r.space != data.space.value]
    if wrong:
        raise RoleSpaceMismatch(f"Roles not of the {data.space} space: {', '.join(wrong)}")
    token = security.new_secret()
    invite = Invite(
        tenant_id=tenant.id,
        email=str(data.email),
        roles=[r.name for r in roles],
        space=data.space.value,
        token_hash=security.sha256_hex(token),
        expires_at=datetime.now(UTC) + timedelta(hours=settings.invite_ttl_hours),
        created_by=principal.subject,
    )
    session.add(invite)
    await session.flush()
    url = accept_url(settings, token)
    # The event belongs to the inviting tenant; an invite into a client tenant names it.
    await emit_event(
        session,
        outbox,
        type="identity.mail.invite",
        tenant_id=principal.tenant_id,
        customer_tenant_id=tenant.id if tenant.id != principal.tenant_id else None,
        subject=f"invite/{invite.id}",
        data={
            "to": invite.email,
            "tenant": tenant.name,
            "tenant_slug": tenant.slug,
            "roles": invite.roles,
            "space": invite.space,
            "accept_url": url,
            "expires_at": invite.expires_at.isoformat(),
        },
    )
    await record(
        session,
        tenant_id=tenant.id,
        actor=principal.subject,
        action="invite.created",
        target=f"invite:{invite.id}",
        details={"email": invite.email, "roles": invite.roles, "space": invite.space},
    )
    return invite, token


async def accept(session: AsyncSession, token: str, data: InviteAccept) -> tuple[User, Tenant]:
    """Public, in a system transaction: the token is the credential."""
    invite = await repo.by_token_hash(session, security.sha256_hex(token))
    if invite is None:
        raise InviteNotFound("Invite not found")
    if invite.accepted_at is not None or invite.revoked_at is not None:
        raise InviteUsed("This invite was already used")
    if invite.expires_at <= datetime.now(UTC):
        raise InviteExpired("This invite has expired")
    tenant = await tenants_repo.get(session, invite.tenant_id)
    assert tenant is not None
    actor = f"invite:{invite.id}"
    user = (
        await users_repo.get(session, invite.user_id)
        if invite.user_id
        else await users_repo.get_by_email(session, tenant.id, invite.email)
    )
    roles = await users.resolve_roles(session, None, tenant, invite.roles)
    if user is None:
        user, _ = await users.create_user(
            session,
            actor=actor,
            tenant=tenant,
            email=invite.email,
            name=data.name,
            roles=roles,
            password=data.password,
        )
    else:
        user.name = data.name
        user.password_hash = await security.hash_password(data.password)
        user.status = "active"
        user.must_change_password = False
        for role in roles:
            await users.grant(session, actor=actor, user=user, role=role, plant_id=None)
    invite.accepted_at = datetime.now(UTC)
    invite.user_id = user.id
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="invite.accepted",
        target=f"user:{user.id}",
        details={"email": invite.email},
    )
    return user, tenant
