"""Login, refresh rotation, client credentials, logout.

Login and token operations look across tenants (a caller is not yet anyone), so they run
in system transactions, deliberately and only here. A refusal that must leave a trace
(failed login, refresh-token reuse) is recorded in the same transaction, which commits,
and the error is raised after it.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.errors import AppError
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth import repository as repo
from services.identity.auth import throttle
from services.identity.auth.errors import (
    InvalidClient,
    InvalidCredentials,
    InvalidGrant,
    InvalidScope,
    NoMembership,
    SpaceNotAllowed,
    SpaceRequired,
)
from services.identity.auth.schemas import LoginRequest, Me, TokenResponse
from services.identity.config import Settings
from services.identity.keys import KeyStore
from services.identity.models import RefreshToken, Tenant, User
from services.identity.orglinks.service import org_claims
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.errors import TenantNotFound
from services.identity.tenants.schemas import Tenant as TenantOut
from services.identity.tokens import issue_access_token
from services.identity.users import repository as users_repo
from services.identity.users import service as users

log = logging.getLogger("weft.identity.auth")


async def _grants(
    session: AsyncSession, user: User, space: str
) -> tuple[list[str], list[str], dict[uuid.UUID, list[str]]] | None:
    """(roles, tenant-wide permissions, permissions per plant) of the user in a space;
    None without a role there. Roles granted for one plant give their permissions for that
    plant only (plant_perms)."""
    memberships = [m for m in await repo.memberships_in(session, user.id) if m.space == space]
    if not memberships:
        return None
    by_role = await repo.role_permissions(session, list({m.role_id for m in memberships}))
    perms: set[str] = set()
    plant_perms: dict[uuid.UUID, set[str]] = {}
    for m in memberships:
        granted = by_role.get(m.role_id, [])
        if m.plant_id is None:
            perms.update(granted)
        else:
            plant_perms.setdefault(m.plant_id, set()).update(granted)
    roles = sorted({m.role_name for m in memberships if m.plant_id is None})
    return roles, sorted(perms), {p: sorted(v) for p, v in plant_perms.items()}


async def issue_elevated(
    session: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    *,
    tenant: Tenant,
    user: User,
    space: str,
    elevation: dict[str, Any],
) -> TokenResponse:
    """An access token with the `elev` claim, never living past the elevation's end; no
    refresh token (an elevation is started again, with the password)."""
    grants = await _grants(session, user, space)
    if grants is None:
        raise SpaceNotAllowed(f"No role in the {space} space")
    return await _elevated_token(
        session,
        keystore,
        settings,
        tenant,
        user,
        (space, *grants),
        elevation=elevation,
        scope=" ".join(elevation["scopes"]),
    )


async def _elevated_token(
    session: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    tenant: Tenant,
    user: User,
    grants: tuple[str, list[str], list[str], dict[uuid.UUID, list[str]]],
    *,
    elevation: dict[str, Any],
    actor: dict[str, Any] | None = None,
    scope: str | None = None,
) -> TokenResponse:
    """An access token for `user` that lives as long as `elevation` (no refresh)."""
    space, roles, perms, plant_perms = grants
    issued = await issue_access_token(
        keystore,
        settings,
        subject=str(user.id),
        tenant_id=tenant.id,
        parent_tenant_id=tenant.parent_id if tenant.kind == "client" else None,
        org=await _org(session, tenant),
        space=space,
        roles=roles,
        permissions=perms,
        plant_permissions=plant_perms,
        actor=actor,
        elevation=elevation,
        ttl=max(1, int(elevation["exp"] - time.time())),
    )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        tenant_id=tenant.id,
        space=Space(space),
        scope=scope,
    )


async def grants_in_space(
    session: AsyncSession, user: User, space: str | None
) -> tuple[str, list[str], list[str], dict[uuid.UUID, list[str]]]:
    """(space, roles, permissions, plant permissions) of a user in `space`, or in its only
    space when `space` is None."""
    if space is None:
        spaces = sorted({m.space for m in await repo.memberships_in(session, user.id)})
        if not spaces:
            raise NoMembership("This user has no role yet")
        if len(spaces) > 1:
            raise SpaceRequired(
                f"This user has several spaces ({', '.join(spaces)}); choose one",
                extra={"spaces": spaces},
            )
        space = spaces[0]
    grants = await _grants(session, user, space)
    if grants is None:
        raise SpaceNotAllowed(f"No role in the {space} space")
    return space, *grants


async def issue_impersonation(
    session: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    *,
    tenant: Tenant,
    user: User,
    grants: tuple[str, list[str], list[str], dict[uuid.UUID, list[str]]],
    actor: dict[str, Any],
    elevation: dict[str, Any],
) -> TokenResponse:
    """A token for `user` whose `act` names the real actor (RFC 8693), under the actor's
    elevation (`elev` with no scopes of its own: it ends with the elevation); no refresh."""
    return await _elevated_token(
        session, keystore, settings, tenant, user, grants, elevation=elevation, actor=actor
    )


async def _org(session: AsyncSession, tenant: Tenant) -> tuple[uuid.UUID, str] | None:
    """The `org_id` / `org_type` claims: a client tenant's catalog organisation, if linked."""
    return await org_claims(session, tenant.id) if tenant.kind == "client" else None


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
    grants = await _grants(session, user, space)
    if grants is None:
        return SpaceNotAllowed(f"No role in the {space} space")
    roles, perms, plant_perms = grants
    issued = await issue_access_token(
        keystore,
        settings,
        subject=str(user.id),
        tenant_id=tenant.id,
        parent_tenant_id=tenant.parent_id if tenant.kind == "client" else None,
        org=await _org(session, tenant),
        space=space,
        roles=roles,
        permissions=perms,
        plant_permissions=plant_perms,
        password_change=user.must_change_password,
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
        password_change_required=user.must_change_password,
    )


async def login(
    db: Database, keystore: KeyStore, settings: Settings, data: LoginRequest, source: str
) -> TokenResponse:
    outcome: TokenResponse | AppError
    email = str(data.email).lower()
    acct_key, addr_key = throttle.account_key(data.tenant, email), throttle.address_key(source)
    async with db.transaction(system=True) as s:
        await repo.serialize_login(s, acct_key)
        tenant = await tenants_repo.get_by_slug(s, data.tenant)
        counters = await repo.throttles(s, [acct_key, addr_key])
        now = datetime.now(UTC)
        held = [
            (until, key)
            for key, limits in throttle.limits_for(settings, acct_key, addr_key, source)
            if (until := throttle.held_until(counters.get(key), limits, now)) is not None
        ]
        if held:
            until, key = max(held)
            row = counters[key]
            locked = row.locked_until is not None and row.locked_until >= until
            if tenant is not None:
                await record(
                    s,
                    tenant_id=tenant.id,
                    actor=f"email:{email}",
                    action="auth.login_throttled",
                    details={
                        "scope": "account" if key == acct_key else "address",
                        "source": source,
                        "locked": locked,
                        "retry_after": max(1, int((until - now).total_seconds())),
                    },
                )
            outcome = throttle.throttled(until, now, locked=locked)
        else:
            outcome = await _check_password(s, keystore, settings, tenant, data, source)
            if isinstance(outcome, InvalidCredentials):
                await _count_failure(s, settings, tenant, email, acct_key, addr_key, source)
            elif not isinstance(outcome, AppError):
                await repo.clear_throttle(s, acct_key)
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def _count_failure(
    s: AsyncSession,
    settings: Settings,
    tenant: Tenant | None,
    email: str,
    acct_key: str,
    addr_key: str,
    source: str,
) -> None:
    for key, limits in throttle.limits_for(settings, acct_key, addr_key, source):
        failures, locked_until = await repo.record_failure(
            s,
            key,
            lock_after=limits.lock_after,
            lock_seconds=limits.lock_seconds,
            window_seconds=limits.window_seconds,
        )
        if failures == limits.lock_after and tenant is not None:
            await record(
                s,
                tenant_id=tenant.id,
                actor=f"email:{email}",
                action="auth.login_locked",
                details={
                    "scope": "account" if key == acct_key else "address",
                    "source": source,
                    "failures": failures,
                    "locked_until": locked_until.isoformat() if locked_until else None,
                },
            )


async def _check_password(
    s: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    tenant: Tenant | None,
    data: LoginRequest,
    source: str,
) -> TokenResponse | AppError:
    user = await users_repo.get_by_email(s, tenant.id, str(data.email)) if tenant else None
    ok = await security.verify_password(user.password_hash if user else None, data.password)
    if tenant is None:
        log.info("login failed: unknown tenant", extra={"tenant_slug": data.tenant})
        return InvalidCredentials()
    if user is None or not ok or user.status != "active" or tenant.status != "active":
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
            details={"reason": reason, "source": source},
        )
        return InvalidCredentials()
    spaces = sorted({m.space for m in await repo.memberships_in(s, user.id)})
    space = data.space.value if data.space else None
    if space is None and len(spaces) > 1:
        return SpaceRequired(
            f"This user has several spaces ({', '.join(spaces)}); choose one",
            extra={"spaces": spaces},
        )
    if space is None and not spaces:
        return NoMembership("This user has no role yet")
    chosen = space or spaces[0]
    outcome = await _issue_for_user(s, keystore, settings, tenant=tenant, user=user, space=chosen)
    if isinstance(outcome, AppError):
        await record(
            s,
            tenant_id=tenant.id,
            actor=f"user:{user.id}",
            action="auth.login_failed",
            target=f"user:{user.id}",
            details={"reason": "space_not_allowed", "space": chosen},
        )
        return outcome
    # Bookkeeping, not an edit: an atomic UPDATE that leaves the version alone, so
    # parallel logins of one user don't collide on it (412).
    rehashed = None
    if security.needs_rehash(user.password_hash or ""):
        rehashed = await security.hash_password(data.password)
    await repo.record_login(s, user.id, rehashed)
    return outcome


async def refresh(
    db: Database, keystore: KeyStore, settings: Settings, token: str
) -> TokenResponse:
    outcome: TokenResponse | AppError
    invalid = InvalidGrant()
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
            outcome = InvalidClient("Client authentication failed")
        else:
            tenant = await tenants_repo.get(s, client.tenant_id)
            assert tenant is not None
            granted = list(client.scopes)
            if scope:
                wanted = scope.split()
                if not set(wanted) <= set(granted):
                    raise InvalidScope("A requested scope is not granted to this client")
                granted = wanted
            client.last_used_at = datetime.now(UTC)
            issued = await issue_access_token(
                keystore,
                settings,
                subject=client.client_id,
                tenant_id=tenant.id,
                parent_tenant_id=tenant.parent_id if tenant.kind == "client" else None,
                org=await _org(s, tenant),
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


async def who_am_i(session: AsyncSession, principal: Principal) -> Me:
    tenant = await tenants_repo.get(session, principal.tenant_id)
    if tenant is None:
        raise TenantNotFound("Your tenant no longer exists")
    user = await users_repo.get(session, principal.user_id) if principal.user_id else None
    return Me(
        user=await users.to_out(session, user) if user else None,
        client_id=principal.client_id,
        tenant=TenantOut.model_validate(tenant),
        space=principal.space,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
        plant_permissions={
            str(p): sorted(perms) for p, perms in principal.plant_permissions.items()
        },
        password_change_required=principal.password_change_required,
    )
