"""The `identity.end_expired_elevations` job ends active elevations past their end, once,
and audits each end (in-process, on one rolled-back transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from libs.common.jobs import JobContext
from services.identity.elevations.service import end_expired_elevations
from services.identity.models import AuditEvent, Elevation


async def test_the_job_ends_expired_elevations_once_and_audits_them(
    service_app: Callable[[str], Awaitable[FastAPI]],
) -> None:
    app = await service_app("identity")
    tenant, now = uuid.uuid4(), datetime.now(UTC)

    def elevation(ends_in: timedelta) -> Elevation:
        return Elevation(
            tenant_id=tenant,
            user_id=uuid.uuid4(),
            scopes=["audit:read"],
            reason="in-process expiry test",
            duration_seconds=600,
            space="PROVIDER",
            status="active",
            started_at=now - timedelta(minutes=10),
            expires_at=now + ends_in,
        )

    async with app.state.db.transaction(tenant) as s:
        over, running = elevation(timedelta(seconds=-1)), elevation(timedelta(minutes=5))
        s.add_all([over, running])
    ctx = JobContext(
        job_id=None,
        task=end_expired_elevations.name,
        attempt=0,
        tenant_id=None,
        db=app.state.db,
        state=app.state,
    )
    assert await end_expired_elevations(ctx) == 1
    assert await end_expired_elevations(ctx) == 0

    async with app.state.db.transaction(tenant) as s:
        rows = {
            e.id: e for e in await s.scalars(select(Elevation).where(Elevation.tenant_id == tenant))
        }
        audit = list(await s.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant)))
    assert (rows[over.id].status, rows[over.id].ended_by) == ("ended", "expiry")
    assert rows[over.id].ended_at == over.expires_at
    assert rows[running.id].status == "active"
    assert [(a.action, a.actor, a.details["elevation_id"]) for a in audit] == [
        ("elevation.ended", "system:expiry", str(over.id))
    ]
