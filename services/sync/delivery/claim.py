"""Claiming due deliveries: `FOR UPDATE SKIP LOCKED` (several sync processes may run),
leased in the same short transaction (next_attempt_at pushed past the timeout), so a
process that dies mid-delivery leaves leases that run out and the deliveries go again."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select, text

from libs.common.db import Database
from libs.common.outbox import envelope
from services.sync.config import Settings
from services.sync.delivery.jobs import Job
from services.sync.models import Endpoint, Event

_CLAIM = text(
    """
    SELECT d.id, d.event_id, d.endpoint_id, d.tenant_id, d.attempts
    FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
      AND NOT (d.endpoint_id = ANY(:blocked))
    ORDER BY d.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
    """
)
_LEASE = text(
    "UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => :lease) "
    "WHERE id = ANY(:ids)"
)


async def claim(
    db: Database,
    settings: Settings,
    *,
    blocked: list[uuid.UUID],
    capacity: int,
    room: Callable[[uuid.UUID], int],
    lease: float,
) -> tuple[int, list[Job]]:
    """Up to `capacity` due deliveries, at most `room(endpoint)` per endpoint, none of the
    `blocked` endpoints'; (how many were leased, the jobs to send)."""
    async with db.transaction(None, system=True) as s:
        rows = (
            await s.execute(_CLAIM, {"blocked": blocked, "limit": settings.delivery_batch_size})
        ).all()
        picked: list[Any] = []
        taken: Counter[uuid.UUID] = Counter()
        for r in rows:
            if len(picked) >= capacity:
                break
            if room(r.endpoint_id) - taken[r.endpoint_id] > 0:
                picked.append(r)
                taken[r.endpoint_id] += 1
        if not picked:
            return 0, []
        await s.execute(_LEASE, {"ids": [r.id for r in picked], "lease": lease})
        endpoints = {
            e.id: e
            for e in (
                await s.execute(
                    select(Endpoint.__table__).where(
                        Endpoint.id.in_({r.endpoint_id for r in picked})
                    )
                )
            ).all()
        }
        events = {
            e.id: e
            for e in (
                await s.execute(
                    select(Event.__table__).where(Event.id.in_({r.event_id for r in picked}))
                )
            ).all()
        }
    bodies = {eid: orjson.dumps(envelope(ev)) for eid, ev in events.items()}
    wall = datetime.now(UTC)
    jobs = []
    for r in picked:
        ep = endpoints.get(r.endpoint_id)
        if ep is None or r.event_id not in bodies:
            continue
        jobs.append(
            Job(
                delivery_id=r.id,
                event_id=r.event_id,
                endpoint_id=r.endpoint_id,
                tenant_id=r.tenant_id,
                attempts=r.attempts,
                url=ep.url,
                internal=ep.kind == "internal",
                secrets=signing_secrets(settings, ep, wall),
                body=bodies[r.event_id],
            )
        )
    return len(picked), jobs


def signing_secrets(settings: Settings, ep: Any, now: datetime) -> list[str]:
    """An internal endpoint signs with its service's secret; a tenant's with its own, and
    with the previous one too while that has not expired (rotation)."""
    if ep.kind == "internal":
        secret = settings.service_secrets.get(ep.service or "")
        return [secret] if secret else []
    out = [ep.secret]
    if (
        ep.previous_secret
        and ep.previous_secret_expires_at
        and (ep.previous_secret_expires_at > now)
    ):
        out.append(ep.previous_secret)
    return out
