"""Invites: a one-time token (kept as its sha256) that lets someone set a password and join;
or, for integration partners (`login: magic_link`), no password at all: the invitee signs
in by one-time links (15 minutes, single use, bound to the invite and its email, kept as
sha256) mailed through the outbox, and gets DEVELOPER tokens with the invite's roles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.outbox import emit_event
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth.schemas import TokenResponse
from services.identity.auth.service import _issue_for_user as issue_for_user
from services.identity.config import Settings
from services.identity.invites import repository as repo
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
from services.identity.invites.schemas import InviteAccept, InviteCreate, MagicLinkRequest
from services.identity.keys import KeyStore
from services.identity.models import Invite, MagicLink, Tenant, User, outbox
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.access import target_tenant
from services.identity.users import repository as users_repo
from services.identity.users import service as users


def accept_url(settings: Settings, token: str) -> str:
    """Where the mailed link points: the public acceptance route, through the gateway
    (`POST` it with a password and a name)."""
    return f"{settings.public_base_url.rstrip('/')}/v1/identity/invites/{token}/accept"


def magic_link_url(settings: Settings, token: str) -> str:
    """Where the mailed sign-in link points: the public route, through the gateway (`POST`
    it with the invited email)."""
    return f"{settings.public_base_url.rstrip('/')}/v1/identity/auth/magic-link/{token}"


async def create(
    session: AsyncSession, principal: Principal, data: InviteCreate, settings: Settings
) -> tuple[Invite, str | None]:
    """The invite and, for a password invite, its token (shown once to the inviter). A
    magic-link invite's sign-in link goes to the invitee alone."""
    if data.login == "magic_link" and data.space.value != "DEVELOPER":
        raise MagicLinkSpaceOnly("Magic-link sign-in is for the DEVELOPER space (partners)")
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
        login=data.login,
    )
    session.add(invite)
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor=principal.subject,
        action="invite.created",
        target=f"invite:{invite.id}",
        details={
            "email": invite.email,
            "roles": invite.roles,
            "space": invite.space,
            "login": invite.login,
        },
    )
    if invite.login == "magic_link":
        await _send_magic_link(session, settings, invite, tenant, inviter=principal.tenant_id)
        return invite, None
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
    return invite, token


async def accept(session: AsyncSession, token: str, data: InviteAccept) -> tuple[User, Tenant]:
    """Public, in a system transaction: the token is the credential."""
    invite = await repo.by_token_hash(session, security.sha256_hex(token))
    if invite is None or invite.login != "password":
        # a magic-link invite has no password to set (its token is never shown anyway)
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


# --- magic links --------------------------------------------------------------------------

RESEND_AFTER_SECONDS = 60


async def _send_magic_link(
    session: AsyncSession,
    settings: Settings,
    invite: Invite,
    tenant: Tenant,
    *,
    inviter: uuid.UUID | None = None,
) -> MagicLink:
    token = security.new_secret()
    link = MagicLink(
        tenant_id=invite.tenant_id,
        invite_id=invite.id,
        email=invite.email,
        token_hash=security.sha256_hex(token),
        expires_at=datetime.now(UTC) + timedelta(minutes=settings.magic_link_ttl_minutes),
    )
    session.add(link)
    await session.flush()
    # the mail row never leaves identity; the relay's mail channel scrubs the link once
    # the message is written (services/identity/mail.py)
    owner = inviter or tenant.parent_id or tenant.id
    await emit_event(
        session,
        outbox,
        type="identity.mail.magic_link",
        tenant_id=owner,
        customer_tenant_id=tenant.id if tenant.id != owner else None,
        subject=f"invite/{invite.id}",
        data={
            "to": invite.email,
            "tenant": tenant.name,
            "tenant_slug": tenant.slug,
            "roles": invite.roles,
            "space": invite.space,
            "accept_url": magic_link_url(settings, token),
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return link


async def request_magic_link(
    session: AsyncSession, settings: Settings, data: MagicLinkRequest
) -> None:
    """System transaction: the caller is nobody yet. Silent when there is no magic-link
    invite for this email and tenant (the answer tells nothing about who is invited)."""
    tenant = await tenants_repo.get_by_slug(session, data.tenant)
    if tenant is None or tenant.status != "active":
        return
    invite = await repo.magic_invite_for(session, tenant.id, str(data.email))
    now = datetime.now(UTC)
    if invite is None or (invite.accepted_at is None and invite.expires_at <= now):
        return
    if invite.user_id is not None:
        user = await users_repo.get(session, invite.user_id)
        if user is None or user.status != "active":
            return
    latest = await repo.latest_magic_link(session, invite.id)
    if latest is not None and now - latest.created_at < timedelta(seconds=RESEND_AFTER_SECONDS):
        return
    link = await _send_magic_link(session, settings, invite, tenant)
    await record(
        session,
        tenant_id=tenant.id,
        actor=f"email:{invite.email.lower()}",
        action="auth.magic_link_requested",
        target=f"invite:{invite.id}",
        details={"magic_link_id": str(link.id)},
    )


async def sign_in_with_magic_link(
    session: AsyncSession, keystore: KeyStore, settings: Settings, token: str, email: str
) -> TokenResponse:
    """System transaction: the link is the credential, for its invite's email only. The
    first sign-in accepts the invite (the user is made, without a password)."""
    link = await repo.magic_link_by_token_hash(session, security.sha256_hex(token))
    if link is None:
        raise MagicLinkNotFound("This sign-in link is not known")
    if link.used_at is not None:
        raise MagicLinkUsed("This sign-in link was already used; ask for a new one")
    if link.expires_at <= datetime.now(UTC):
        raise MagicLinkExpired("This sign-in link has expired; ask for a new one")
    if link.email.lower() != email.lower():
        await record(
            session,
            tenant_id=link.tenant_id,
            actor=f"email:{email.lower()}",
            action="auth.magic_link_refused",
            target=f"invite:{link.invite_id}",
            details={"reason": "email_mismatch"},
        )
        raise MagicLinkEmailMismatch("This sign-in link was sent to another email")
    invite = await repo.get(session, link.invite_id)
    tenant = await tenants_repo.get(session, link.tenant_id)
    if invite is None or tenant is None or tenant.status != "active":
        raise MagicLinkNotFound("This sign-in link is not known")
    if invite.revoked_at is not None:
        raise InviteRevoked("The invite behind this link was revoked")
    link.used_at = datetime.now(UTC)
    actor = f"invite:{invite.id}"
    user = (
        await users_repo.get(session, invite.user_id)
        if invite.user_id
        else await users_repo.get_by_email(session, tenant.id, invite.email)
    )
    if user is None:
        roles = await users.resolve_roles(session, None, tenant, invite.roles)
        user, _ = await users.create_user(
            session,
            actor=actor,
            tenant=tenant,
            email=invite.email,
            name=invite.email.split("@")[0],
            roles=roles,
            password=None,
            status="active",
        )
        # no password: create_user made a temporary one; a magic-link user has none
        user.password_hash = None
        user.must_change_password = False
    elif user.status != "active":
        raise MagicLinkNotFound("This sign-in link is not known")
    elif invite.accepted_at is None:
        for role in await users.resolve_roles(session, None, tenant, invite.roles):
            await users.grant(session, actor=actor, user=user, role=role, plant_id=None)
    if invite.accepted_at is None:
        invite.accepted_at = datetime.now(UTC)
        invite.user_id = user.id
    await session.flush()
    outcome = await issue_for_user(
        session, keystore, settings, tenant=tenant, user=user, space=invite.space
    )
    if not isinstance(outcome, TokenResponse):
        raise outcome
    await record(
        session,
        tenant_id=tenant.id,
        actor=f"user:{user.id}",
        action="auth.magic_link_login",
        target=f"user:{user.id}",
        details={"invite_id": str(invite.id), "magic_link_id": str(link.id)},
    )
    return outcome
