"""Break-glass elevation (issue 12): ask, another admin approves, re-authenticate, use.

The elevated access token carries `elev: {id, scopes, exp, tid}`; the kit's Principal
grants the scopes until `exp`, and only while this service says the elevation is active
(`GET /elevations/{id}/status`, asked by the kit of every service and cached a few seconds;
identity itself reads the row: `LocalElevationStatus`). So a revocation holds everywhere
within `elevation_status_ttl_seconds`. Every step is audited: requested, approved or
denied, started (or start_failed), used (a permission the scopes decided), and ended
(`elevation.revoked`, or `elevation.ended` at expiry by the `identity.end_expired_elevations`
job or by the first read after it).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from libs.common.auth import Principal
from libs.common.db import Database
from libs.common.elevation import ACTIVE, ENDED, UNKNOWN, Status
from libs.common.jobs import JobContext
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
from services.identity.elevations.schemas import ElevationCreate, ElevationStatus
from services.identity.jobs import jobs
from services.identity.keys import KeyStore
from services.identity.models import Elevation, Role
from services.identity.tenants.access import caller_tenant
from services.identity.users import repository as users_repo
from services.identity.users.service import can_grant

log = logging.getLogger("weft.identity.elevations")

APPROVE = "elevations:approve"
EXPIRY = "expiry"


def _expired(e: Elevation, now: datetime) -> bool:
    return e.status == "active" and e.expires_at is not None and e.expires_at <= now


def _view(e: Elevation, now: datetime) -> ElevationOut:
    """As a reader sees it: an active elevation past its end is ended (the job, or the next
    locked read, writes it down and audits it)."""
    out = ElevationOut.model_validate(e)
    if _expired(e, now):
        out.status, out.ended_at = "ended", e.expires_at
    return out


async def _end_if_expired(session: AsyncSession, e: Elevation, now: datetime) -> Elevation:
    if _expired(e, now):
        e.status, e.ended_at, e.ended_by = "ended", e.expires_at, EXPIRY
        await session.flush()
        await _audit_as(session, f"system:{EXPIRY}", e, "elevation.ended", reason=EXPIRY)
    return e


async def _get(session: AsyncSession, principal: Principal, id_: uuid.UUID) -> Elevation:
    e = await repo.get(session, principal.tenant_id, id_)
    # the requester and the approvers see it; anyone else gets 404
    if e is None or (e.user_id != principal.user_id and not principal.has_permission(APPROVE)):
        raise ElevationNotFound("Elevation not found")
    return await _end_if_expired(session, e, datetime.now(UTC))


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
    return Page(items=[_view(r, now) for r in rows], next_cursor=cursor)


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
            "tid": str(e.tenant_id),
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
    await _audit_as(session, principal.subject, e, action, reason=reason)


async def _audit_as(
    session: AsyncSession,
    actor: str,
    e: Elevation,
    action: str,
    *,
    reason: str | None = None,
    extra: dict[str, object] | None = None,
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
    details.update(extra or {})
    await record(
        session,
        tenant_id=e.tenant_id,
        actor=actor,
        action=action,
        target=f"user:{e.user_id}",
        details=details,
    )


# --- at request time: is the token's elevation still active? ----------------------------


def _token_elevation(principal: Principal) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(elevation id, its tenant) from the token's raw `elev` claim (kept when the kit
    stops honouring it), or None."""
    raw = principal.claims.get("elev")
    if not isinstance(raw, dict):
        return None
    try:
        return uuid.UUID(str(raw.get("id"))), uuid.UUID(str(raw.get("tid") or principal.tenant_id))
    except ValueError:
        return None


async def _status_row(db: Database, principal: Principal) -> tuple[uuid.UUID, Elevation | None]:
    found = _token_elevation(principal)
    if found is None:
        raise ElevationNotFound("This token carries no elevation")
    eid, tenant_id = found
    async with db.transaction(tenant_id) as s:
        e = await repo.get(s, tenant_id, eid)
        # the elevation is the one of the user who started it: the token's subject, or the
        # real actor of an impersonation token
        holder = principal.actor_subject or principal.subject
        if e is not None and str(e.user_id) != holder:
            e = None
        if e is not None:
            await _end_if_expired(s, e, datetime.now(UTC))
    return eid, e


async def token_status(
    db: Database, principal: Principal, elevation_id: uuid.UUID
) -> ElevationStatus:
    """The status of the elevation the caller's token carries (and no other: 404)."""
    found = _token_elevation(principal)
    if found is None or found[0] != elevation_id:
        raise ElevationNotFound("Elevation not found")
    eid, e = await _status_row(db, principal)
    if e is None:
        raise ElevationNotFound("Elevation not found")
    return ElevationStatus(id=eid, status=e.status, expires_at=e.expires_at)


class LocalElevationStatus:
    """Identity's own source for the kit (libs.common.elevation): it reads the row."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def status(self, principal: Principal, token: str) -> Status:
        try:
            _, e = await _status_row(self.db, principal)
        except ElevationNotFound:
            return ENDED
        except (SQLAlchemyError, OSError) as exc:
            log.warning("elevation status unreadable", extra={"error": str(exc)})
            return UNKNOWN
        return ACTIVE if e is not None and e.status == "active" else ENDED


async def record_use(session: AsyncSession, principal: Principal, request: Request) -> None:
    """An elevated permission decided this request (the kit calls this before commit)."""
    found = _token_elevation(principal)
    if found is None:
        return
    eid, tenant_id = found
    await record(
        session,
        tenant_id=tenant_id,
        actor=principal.subject,
        action="elevation.used",
        target=f"user:{principal.subject}",
        details={
            "elevation_id": str(eid),
            "permissions": sorted(principal.elevation_uses or ()),
            "method": request.method,
            "path": request.url.path,
        },
    )


@jobs.periodic("identity.end_expired_elevations", cron="* * * * *")
async def end_expired_elevations(ctx: JobContext) -> int:
    """System job: active elevations past their end are ended and audited."""
    now = datetime.now(UTC)
    async with ctx.transaction() as session:
        rows = await repo.expired_active(session, now)
        for e in rows:
            await _end_if_expired(session, e, now)
    return len(rows)
