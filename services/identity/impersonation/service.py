"""Impersonation (issue 12): see what a user sees, as that user, under break-glass.

It needs an active elevation (libs.common.elevation confirms it with identity) whose scopes
include `users:impersonate`, and a justification. The token is for the target user (its
tenant, its space, its permissions) and its `act: {"sub": <real actor>, "tid": ...}` names
the actor (RFC 8693); its `elev` names the elevation with no scopes, so it ends when the
elevation ends (expiry or revocation). Never across tenants the actor cannot administer
(its own, its direct clients), never for more than the actor holds itself. Services mask
`Sensitive` fields for such tokens and refuse `require(..., impersonation=False)` routes
(passwords, API clients, signing keys, elevations). Audited in the actor's tenant and the
target's, naming both.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, permission_matches
from libs.common.errors import ImpersonationForbidden
from services.identity.audit.service import record
from services.identity.auth import service as auth
from services.identity.config import Settings
from services.identity.impersonation.errors import (
    ElevationRequired,
    ImpersonateSelf,
    ImpersonationEscalation,
    TargetInactive,
    UserNotFound,
)
from services.identity.impersonation.schemas import ImpersonationCreate, ImpersonationToken
from services.identity.keys import KeyStore
from services.identity.tenants.access import target_tenant
from services.identity.users import repository as users_repo

IMPERSONATE = "users:impersonate"


def _elevation(principal: Principal) -> dict[str, Any]:
    """The caller's confirmed-active elevation carrying the impersonation scope."""
    elev = principal.elevation  # the kit drops it unless identity says it is active
    if (
        not isinstance(elev, dict)
        or float(elev.get("exp", 0)) <= time.time()
        or not any(permission_matches(s, IMPERSONATE) for s in elev.get("scopes", ()))
    ):
        raise ElevationRequired(
            f"Impersonation needs an active elevation with the {IMPERSONATE} scope "
            "(POST /elevations, approved, then started with your password)"
        )
    if principal.elevation_uses is not None:
        principal.elevation_uses.add(IMPERSONATE)
    return elev


def _exceeds(principal: Principal, perms: list[str], plant_perms: dict[Any, list[str]]) -> bool:
    """Whether the target holds a permission the actor does not hold tenant-wide itself
    (the elevation's scopes do not count)."""
    wanted = set(perms) | {p for v in plant_perms.values() for p in v}
    return not all(any(permission_matches(g, w) for g in principal.permissions) for w in wanted)


async def start(
    session: AsyncSession,
    keystore: KeyStore,
    settings: Settings,
    principal: Principal,
    data: ImpersonationCreate,
) -> ImpersonationToken:
    if principal.actor is not None:
        raise ImpersonationForbidden("An impersonation token cannot impersonate again")
    elev = _elevation(principal)
    user = await users_repo.get(session, data.user_id)  # RLS: own tenant and its clients
    if user is None:
        raise UserNotFound("User not found")
    tenant = await target_tenant(session, principal, user.tenant_id)
    if str(user.id) == principal.subject:
        raise ImpersonateSelf("You cannot impersonate yourself")
    if user.status != "active" or tenant.status != "active":
        raise TargetInactive(f"The user is {user.status}")
    grants = await auth.grants_in_space(session, user, data.space.value if data.space else None)
    if _exceeds(principal, grants[2], grants[3]):
        raise ImpersonationEscalation(
            "The user holds permissions you do not hold; ask someone who does"
        )
    actor = {"sub": principal.subject, "tid": str(principal.tenant_id)}
    token = await auth.issue_impersonation(
        session,
        keystore,
        settings,
        tenant=tenant,
        user=user,
        grants=grants,
        actor=actor,
        elevation={
            "id": str(elev["id"]),
            "scopes": [],
            "exp": int(elev["exp"]),
            "tid": str(elev.get("tid") or principal.tenant_id),
        },
    )
    details: dict[str, Any] = {
        "elevation_id": str(elev["id"]),
        "justification": data.justification,
        "target_tenant_id": str(tenant.id),
        "space": token.space.value,
        "expires_in": token.expires_in,
    }
    for tenant_id in dict.fromkeys((principal.tenant_id, tenant.id)):
        await record(
            session,
            tenant_id=tenant_id,
            actor=principal.subject,
            action="impersonation.started",
            target=f"user:{user.id}",
            details=details,
            act=principal.subject,
        )
    return ImpersonationToken(
        **token.model_dump(),
        user_id=user.id,
        actor=principal.subject,
        elevation_id=elev["id"],
    )
