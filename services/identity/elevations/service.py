"""Break-glass elevation (issue 12): ask, another admin approves, re-authenticate, use.

The elevated access token carries `elev: {id, scopes, exp}`; the kit's Principal grants
the scopes until `exp` only. Every step is audited. Revocation ends the elevation here at
once; access tokens already issued are short (at most the access-token TTL and never past
the elevation's end). Services honouring a revocation before that is issue 12's next step.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import Database
from libs.common.pagination import Page, PageParams
from services.identity import security
from services.identity.audit.service import record
from services.identity.auth import service as auth
from services.identity.auth.schemas import TokenResponse
from services.identity.config import Settings
from services.identity.elevations import repository as repo
from services.identity.elevations.errors import (
    ElevationNotApproved,
    ElevationNotFound,
    ElevationNotPending,
    ElevationOver,
    NotAUser,
    NotTheRequester,
    PermissionEscalation,
    SelfApproval,
    WrongPassword,
)
from services.identity.elevations.schemas import Elevation as ElevationOut
from services.identity.elevations.schemas import ElevationCreate
from services.identity.keys import KeyStore
from services.identity.models import Elevation, Role
from services.identity.tenants.access import caller_tenant
from services.identity.users import repository as users_repo
from services.identity.users.service import can_grant

APPROVE = "elevations:approve"


def _settle(e: Elevation, now: datetime) -> Elevation:
    """An active elevation past its end is over."""
    if e.status == "active" and e.expires_at is not None and e.expires_at <= now:
        e.status, e.ended_at, e.ended_by = "ended", e.expires_at, "expiry"
    return e


async def _get(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> Elevation:
    e = await repo.get(session, principal.tenant_id, id_)
    # the requester and the approvers see it; anyone else gets 404
    if e is None or (e.user_id != principal.user_id and not principal.has_permission(APPROVE)):
        raise ElevationNotFound("Elevation not found")
    return _settle(e, datetime.now(UTC))


async def request(session: AsyncSession, principal: Principal, data: ElevationCreate) -> Elevation:
    if principal.user_id is None or principal.actor is not None:
        raise NotAUser("Only a user, signed in as itself, asks for an elevation")
    e = await repo.add(
        session,
        Elevation(
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            scopes=sorted(set(data.scopes)),
            reason=data.reason,
            duration_seconds=data.duration_minutes * 60,
            space=principal.space.value,
            status="pending",
        ),
    )
    await _audit(session, principal, e, "elevation.requested", reason=e.reason)
    return e


async def get(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> Elevation:
    return await _get(session, principal, id_)


async def list_elevations(
    session: AsyncSession, principal: Principal, page: PageParams, status: str | None
) -> Page[ElevationOut]:
    mine_only = None if principal.has_permission(APPROVE) else principal.user_id
    if mine_only is None and not principal.has_permission(APPROVE):
        return Page(items=[], next_cursor=None)
    rows, cursor = await repo.list_page(
        session, principal.tenant_id, page, status=status, user_id=mine_only
    )
    now = datetime.now(UTC)
    return Page(
        items=[ElevationOut.model_validate(_settle(r, now)) for r in rows], next_cursor=cursor
    )


async def decide(
    session: AsyncSession, principal: Principal, id_: uuid.UUID, *, approve: bool
) -> Elevation:
    e = await _get(session, principal, id_)
    if e.user_id == principal.user_id:
        raise SelfApproval("An elevation is approved by another admin, never by its requester")
    if e.status != "pending":
        raise ElevationNotPending(f"The elevation is {e.status}")
    if approve and not can_grant(principal, Role(permissions=list(e.scopes))):
        raise PermissionEscalation("You cannot approve scopes you do not hold")
    e.status = "approved" if approve else "denied"
    e.decided_by, e.decided_at = principal.subject, datetime.now(UTC)
    await session.flush()
    await _audit(session, principal, e, "elevation.approved" if approve else "elevation.denied")
    return e


async def start(
    session: AsyncSession,
    db: Database,
    keystore: KeyStore,
    settings: Settings,
    principal: Principal,
    id_: uuid.UUID,
    password: str,
) -> TokenResponse:
    """The requester re-authenticates with its password; the answer is the elevated token."""
    e = await _get(session, principal, id_)
    if e.user_id != principal.user_id:
        raise NotTheRequester("Only the requester starts its elevation")
    if e.status != "approved":
        raise ElevationNotApproved(f"The elevation is {e.status}")
    user = await users_repo.get(session, e.user_id)
    if user is None:
        raise NotAUser("The requester no longer exists")
    if not await security.verify_password(user.password_hash, password):
        # this transaction rolls back with the refusal: the failure is kept in its own
        async with db.transaction(principal.tenant_id) as s:
            await _audit(s, principal, e, "elevation.start_failed", reason="bad_password")
        raise WrongPassword("The password is wrong")
    now = datetime.now(UTC)
    e.status, e.started_at = "active", now
    e.expires_at = now + timedelta(seconds=e.duration_seconds)
    await session.flush()
    await _audit(session, principal, e, "elevation.started")
    tenant = await caller_tenant(session, principal)
    return await auth.issue_elevated(
        session,
        keystore,
        settings,
        tenant=tenant,
        user=user,
        space=e.space,
        elevation={
            "id": str(e.id),
            "scopes": list(e.scopes),
            "exp": int(e.expires_at.timestamp()),
        },
    )


async def revoke(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> Elevation:
    e = await _get(session, principal, id_)
    if e.status not in ("pending", "approved", "active"):
        raise ElevationOver(f"The elevation is {e.status}")
    e.status, e.ended_at, e.ended_by = "revoked", datetime.now(UTC), principal.subject
    await session.flush()
    await _audit(session, principal, e, "elevation.revoked")
    return e


async def _audit(
    session: AsyncSession,
    principal: Principal,
    e: Elevation,
    action: str,
    *,
    reason: str | None = None,
) -> None:
    details: dict[str, object] = {
        "elevation_id": str(e.id),
        "user_id": str(e.user_id),
        "scopes": list(e.scopes),
        "status": e.status,
    }
    if reason:
        details["reason"] = reason
    if e.expires_at is not None:
        details["expires_at"] = e.expires_at.isoformat()
    await record(
        session,
        tenant_id=e.tenant_id,
        actor=principal.subject,
        action=action,
        target=f"user:{e.user_id}",
        details=details,
    )
