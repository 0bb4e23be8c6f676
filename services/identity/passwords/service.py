"""Passwords: change one's own, and reset a forgotten one by a one-time mailed link.

A reset request always answers the same (202), whether the account exists or not, and
does the same work either way: it only defers the `identity.password_reset` job, which
looks the account up and mails the link, so neither the answer nor its timing tells which
accounts exist. The link's token is kept only as its sha256, works once, expires after
`password_reset_ttl_minutes`, and a completed reset revokes every refresh token of the
user and lifts a login lock of the account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.jobs import JobContext
from libs.common.outbox import emit_event
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth import repository as auth_repo
from services.identity.auth import throttle
from services.identity.config import Settings
from services.identity.jobs import jobs
from services.identity.models import PasswordReset, outbox
from services.identity.passwords import repository as repo
from services.identity.passwords.errors import (
    NotAUser,
    ResetExpired,
    ResetNotFound,
    ResetUsed,
    WrongPassword,
)
from services.identity.passwords.schemas import PasswordChange, PasswordResetRequest
from services.identity.tenants import repository as tenants_repo
from services.identity.users import repository as users_repo

# At most one reset mail per user in this many seconds (no mail bombing through the API).
RESEND_AFTER_SECONDS = 60


def reset_url(settings: Settings, token: str) -> str:
    """Where the mailed link points: the public completion route, through the gateway."""
    return f"{settings.public_base_url.rstrip('/')}/v1/identity/auth/password-reset/{token}"


async def change_password(
    session: AsyncSession, principal: Principal, data: PasswordChange
) -> None:
    user = await users_repo.get(session, principal.user_id) if principal.user_id else None
    if user is None:
        raise NotAUser("Only users have passwords")
    if not await security.verify_password(user.password_hash, data.current_password):
        raise WrongPassword("The current password is wrong")
    user.password_hash = await security.hash_password(data.new_password)
    user.must_change_password = False
    await session.flush()
    # Every session signs in again with the new password.
    revoked = await auth_repo.revoke_all_of_user(session, user.id)
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=principal.subject,
        action="user.password_changed",
        target=f"user:{user.id}",
        details={"refresh_tokens_revoked": revoked},
    )


async def request_reset(session: AsyncSession, data: PasswordResetRequest) -> None:
    """System transaction: the caller is nobody yet. The same statements whatever the
    address: the account is looked up by the job, after the answer."""
    await send_reset.defer(session, tenant_id=None, tenant=data.tenant, email=str(data.email))


@jobs.job("identity.password_reset", retries=3)
async def send_reset(ctx: JobContext, *, tenant: str, email: str) -> None:
    """Mail a reset link to the account, if there is one (runs at least once: a second run
    within RESEND_AFTER_SECONDS mails nothing)."""
    async with ctx.transaction() as session:
        await mail_reset(session, ctx.state.settings, tenant, email)


async def mail_reset(session: AsyncSession, settings: Settings, slug: str, email: str) -> None:
    """System transaction. Silent when there is no such active user."""
    tenant = await tenants_repo.get_by_slug(session, slug)
    user = await users_repo.get_by_email(session, tenant.id, email) if tenant else None
    if tenant is None or user is None or user.status != "active" or tenant.status != "active":
        return
    latest = await repo.latest_for(session, user.id)
    now = datetime.now(UTC)
    if latest is not None and now - latest.created_at < timedelta(seconds=RESEND_AFTER_SECONDS):
        return
    await repo.spend_all_of(session, user.id)
    token = security.new_secret()
    reset = PasswordReset(
        tenant_id=tenant.id,
        user_id=user.id,
        token_hash=security.sha256_hex(token),
        expires_at=now + timedelta(minutes=settings.password_reset_ttl_minutes),
    )
    session.add(reset)
    await session.flush()
    # The mail carries the link; the outbox scrubs `accept_url` once the mail is written.
    await emit_event(
        session,
        outbox,
        type="identity.mail.password_reset",
        tenant_id=tenant.id,
        subject=f"user/{user.id}",
        data={
            "to": user.email,
            "name": user.name,
            "tenant": tenant.name,
            "tenant_slug": tenant.slug,
            "reset_id": str(reset.id),
            "accept_url": reset_url(settings, token),
            "expires_at": reset.expires_at.isoformat(),
        },
    )
    await record(
        session,
        tenant_id=tenant.id,
        actor=f"email:{user.email.lower()}",
        action="auth.password_reset_requested",
        target=f"user:{user.id}",
        details={"reset_id": str(reset.id)},
    )


async def complete_reset(session: AsyncSession, token: str, new_password: str) -> None:
    """System transaction: the token is the credential."""
    reset = await repo.by_token_hash(session, security.sha256_hex(token))
    if reset is None:
        raise ResetNotFound("This reset link is not known")
    if reset.used_at is not None:
        raise ResetUsed("This reset link was already used")
    if reset.expires_at <= datetime.now(UTC):
        raise ResetExpired("This reset link has expired; ask for a new one")
    user = await users_repo.get(session, reset.user_id)
    tenant = await tenants_repo.get(session, reset.tenant_id)
    if user is None or tenant is None:
        raise ResetNotFound("This reset link is not known")
    user.password_hash = await security.hash_password(new_password)
    user.must_change_password = False
    await repo.spend_all_of(session, user.id)
    revoked = await auth_repo.revoke_all_of_user(session, user.id)
    await auth_repo.clear_throttle(session, throttle.account_key(tenant.slug, user.email))
    await session.flush()
    await record(
        session,
        tenant_id=user.tenant_id,
        actor=f"password_reset:{reset.id}",
        action="auth.password_reset",
        target=f"user:{user.id}",
        details={"refresh_tokens_revoked": revoked},
    )
