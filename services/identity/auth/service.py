"""Login, refresh rotation, client credentials, logout.

Login and token operations look across tenants (a caller is not yet anyone), so they run
in system transactions, deliberately and only here. A refusal that must leave a trace
(failed login, refresh-token reuse) is recorded in the same transaction, which commits,
and the error is raised after it.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Space
from libs.common.db import Database
from libs.common.errors import AppError, BadRequest, Forbidden, Unauthorized, Unprocessable
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth import repository as repo
from services.identity.auth.schemas import LoginRequest, TokenResponse
from services.identity.config import Settings
from services.identity.keys import KeyStore
from services.identity.models import RefreshToken, Tenant, User
from services.identity.tenants import repository as tenants_repo
from services.identity.tokens import issue_access_token
from services.identity.users import repository as users_repo

log = logging.getLogger("weft.identity.auth")


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("Email, password or tenant is wrong", code="invalid_credentials")


async def _issue_for_user(
    session: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    *,
    tenant: Tenant,
    user: User,
    space: str,
    family_id: uuid.UUID | None = None,
) -> TokenResponse | AppError:
    memberships = [m for m in await repo.memberships_in(session, user.id) if m.space == space]
    if not memberships:
        return Forbidden(f"No role in the {space} space", code="space_not_allowed")
    perms = await repo.permissions_of(session, list({m.role_id for m in memberships}))
    roles = sorted({m.role_name for m in memberships})
    issued = await issue_access_token(
        keystore,
        settings,
        subject=str(user.id),
        tenant_id=tenant.id,
        parent_tenant_id=tenant.parent_id if tenant.kind == "client" else None,
        space=space,
        roles=roles,
        permissions=perms,
    )
    refresh = security.new_secret()
    session.add(
        RefreshToken(
            tenant_id=tenant.id,
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=security.sha256_hex(refresh),
            space=space,
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await session.flush()
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=refresh,
        tenant_id=tenant.id,
        space=Space(space),
    )


async def login(
    db: Database, keystore: KeyStore, settings: Settings, data: LoginRequest
) -> TokenResponse:
    outcome: TokenResponse | AppError
    async with db.transaction(system=True) as s:
        tenant = await tenants_repo.get_by_slug(s, data.tenant)
        user = await users_repo.get_by_email(s, tenant.id, str(data.email)) if tenant else None
        ok = await security.verify_password(user.password_hash if user else None, data.password)
        if tenant is None:
            log.info("login failed: unknown tenant", extra={"tenant_slug": data.tenant})
            outcome = _invalid_credentials()
        elif user is None or not ok or user.status != "active" or tenant.status != "active":
            reason = (
                "unknown_user"
                if user is None
                else "bad_password"
                if not ok
                else f"user_{user.status}"
                if user.status != "active"
                else "tenant_inactive"
            )
            await record(
                s,
                tenant_id=tenant.id,
                actor=f"email:{str(data.email).lower()}",
                action="auth.login_failed",
                target=f"user:{user.id}" if user else None,
                details={"reason": reason},
            )
            outcome = _invalid_credentials()
        else:
            spaces = sorted({m.space for m in await repo.memberships_in(s, user.id)})
            space = data.space.value if data.space else None
            if space is None and len(spaces) > 1:
                outcome = Unprocessable(
                    f"This user has several spaces ({', '.join(spaces)}); choose one",
                    code="space_required",
                    extra={"spaces": spaces},
                )
            elif space is None and not spaces:
                outcome = Forbidden("This user has no role yet", code="no_membership")
            else:
                chosen = space or spaces[0]
                outcome = await _issue_for_user(
                    s, keystore, settings, tenant=tenant, user=user, space=chosen
                )
                if isinstance(outcome, AppError):
                    await record(
                        s,
                        tenant_id=tenant.id,
                        actor=f"user:{user.id}",
                        action="auth.login_failed",
                        target=f"user:{user.id}",
                        details={"reason": "space_not_allowed", "space": chosen},
                    )
                else:
                    # Bookkeeping, not an edit: an atomic UPDATE that leaves the version
                    # alone, so parallel logins of one user don't collide on it (412).
                    rehashed = None
                    if security.needs_rehash(user.password_hash or ""):
                        rehashed = await security.hash_password(data.password)
                    await repo.record_login(s, user.id, rehashed)
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def refresh(
    db: Database, keystore: KeyStore, settings: Settings, token: str
) -> TokenResponse:
    outcome: TokenResponse | AppError
    invalid = Unauthorized("The refresh token is invalid, expired or revoked", code="invalid_grant")
    async with db.transaction(system=True) as s:
        row = await repo.refresh_by_hash(s, security.sha256_hex(token))
        if row is None:
            outcome = invalid
        elif row.rotated_at is not None or row.revoked_at is not None:
            if row.rotated_at is not None:
                # Reuse of a rotated token: someone else holds the family. Kill all of it.
                n = await repo.revoke_family(s, row.family_id)
                await record(
                    s,
                    tenant_id=row.tenant_id,
                    actor=f"user:{row.user_id}",
                    action="auth.refresh_reuse_detected",
                    target=f"user:{row.user_id}",
                    details={"family_id": str(row.family_id), "revoked": n},
                )
            outcome = invalid
        elif row.expires_at <= datetime.now(UTC):
            outcome = invalid
        else:
            row.rotated_at = datetime.now(UTC)
            user = await users_repo.get(s, row.user_id)
            tenant = await tenants_repo.get(s, row.tenant_id)
            if (
                user is None
                or tenant is None
                or user.status != "active"
                or tenant.status != "active"
            ):
                await repo.revoke_family(s, row.family_id)
                outcome = invalid
            else:
                outcome = await _issue_for_user(
                    s,
                    keystore,
                    settings,
                    tenant=tenant,
                    user=user,
                    space=row.space,
                    family_id=row.family_id,
                )
                if isinstance(outcome, AppError):
                    await repo.revoke_family(s, row.family_id)
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def client_credentials(
    db: Database,
    keystore: KeyStore,
    settings: Settings,
    client_id: str,
    secret: str,
    scope: str | None,
) -> TokenResponse:
    outcome: TokenResponse | AppError
    async with db.transaction(system=True) as s:
        client = await repo.api_client_by_client_id(s, client_id)
        ok = client is not None and hmac.compare_digest(
            client.secret_hash, security.sha256_hex(secret)
        )
        if client is None or not ok or client.revoked_at is not None:
            if client is not None:
                await record(
                    s,
                    tenant_id=client.tenant_id,
                    actor=f"client:{client_id}",
                    action="auth.client_failed",
                    target=f"api_client:{client.id}",
                    details={"reason": "revoked" if ok else "bad_secret"},
                )
            outcome = Unauthorized("Client authentication failed", code="invalid_client")
        else:
            tenant = await tenants_repo.get(s, client.tenant_id)
            assert tenant is not None
            granted = list(client.scopes)
            if scope:
                wanted = scope.split()
                if not set(wanted) <= set(granted):
                    raise BadRequest(
                        "A requested scope is not granted to this client", code="invalid_scope"
                    )
                granted = wanted
            client.last_used_at = datetime.now(UTC)
            issued = await issue_access_token(
                keystore,
                settings,
                subject=client.client_id,
                tenant_id=tenant.id,
                parent_tenant_id=tenant.parent_id if tenant.kind == "client" else None,
                space="DEVELOPER",
                roles=[],
                permissions=granted,
                client_id=client.client_id,
            )
            outcome = TokenResponse(
                access_token=issued.access_token,
                expires_in=issued.expires_in,
                tenant_id=tenant.id,
                space="DEVELOPER",  # type: ignore[arg-type]
                scope=" ".join(sorted(granted)),
            )
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def logout(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, token: str
) -> None:
    row = await repo.refresh_by_hash(session, security.sha256_hex(token))
    if row is None or row.user_id != user_id:
        return  # nothing of the caller's to revoke; answer the same to not leak
    n = await repo.revoke_family(session, row.family_id)
    await record(
        session,
        tenant_id=tenant_id,
        actor=f"user:{user_id}",
        action="auth.logout",
        target=f"user:{user_id}",
        details={"family_id": str(row.family_id), "revoked": n},
    )
