"""Recording delivery outcomes, a batch at a time: attempt rows, the deliveries' next
state (succeeded, retried on the schedule, failed), and endpoints that fail for too long
or answer 410 Gone disabled (with an `EndpointDisabled` event)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from libs.common.db import Database
from libs.common.ids import new_id
from libs.contracts.events.sync import EndpointDisabled
from services.sync.config import Settings
from services.sync.delivery.jobs import Outcome
from services.sync.delivery.schedule import next_delay
from services.sync.ingest.service import emit_sync_event
from services.sync.models import Attempt

_RECORD = text(
    """
    UPDATE deliveries SET status = :status, attempts = :attempts, next_attempt_at = :next_at,
        last_attempt_at = :at, last_status_code = :code, last_error = :error, updated_at = now()
    WHERE id = :id AND status = 'pending'
    """
)
_ALIVE = text("SELECT id FROM deliveries WHERE id = ANY(:ids)")
_CLEAR_FAILING = text(
    "UPDATE endpoints SET failing_since = NULL WHERE id = ANY(:ids) AND failing_since IS NOT NULL"
)
_MARK_FAILING = text(
    "UPDATE endpoints SET failing_since = :now WHERE id = ANY(:ids) AND failing_since IS NULL"
)
_DISABLE = text(
    """
    UPDATE endpoints SET enabled = false, disabled_reason = :reason, version = version + 1,
        updated_at = now()
    WHERE id = ANY(:ids) AND enabled AND kind = 'tenant'
      AND (:force OR failing_since < :cutoff)
    RETURNING id, tenant_id, url
    """
)


async def record(db: Database, settings: Settings, batch: list[Outcome]) -> list[Any]:
    """Writes `batch` in one transaction; the endpoints it disabled."""
    now = datetime.now(UTC)
    attempts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    succeeded: set[uuid.UUID] = set()
    failed: set[uuid.UUID] = set()
    gone: set[uuid.UUID] = set()
    for o in batch:
        j = o.job
        done = j.attempts + 1
        attempts.append(
            {
                "id": new_id(),
                "tenant_id": j.tenant_id,
                "delivery_id": j.delivery_id,
                "event_id": j.event_id,
                "endpoint_id": j.endpoint_id,
                "attempted_at": o.attempted_at,
                "success": o.success,
                "status_code": o.status_code,
                "latency_ms": o.latency_ms,
                "error": o.error,
                "response_body": o.response_body,
            }
        )
        next_at = o.attempted_at
        if o.success:
            status = "succeeded"
            succeeded.add(j.endpoint_id)
        else:
            failed.add(j.endpoint_id)
            delay = next_delay(settings.retry_schedule, done, settings.retry_jitter)
            if o.status_code == 410 and not j.internal:
                status = "failed"
                gone.add(j.endpoint_id)
            elif delay is None:
                status = "failed"
            else:
                status = "pending"
                if o.retry_after is not None:
                    delay = max(delay, o.retry_after)
                next_at = now + timedelta(seconds=delay)
        updates.append(
            {
                "id": j.delivery_id,
                "status": status,
                "attempts": done,
                "next_at": next_at,
                "at": o.attempted_at,
                "code": o.status_code,
                "error": o.error,
            }
        )
    # rows are locked in id order, deliveries before endpoints, as deleting an endpoint does
    attempts.sort(key=lambda a: a["delivery_id"])
    updates.sort(key=lambda u: u["id"])
    disabled: list[Any] = []
    async with db.transaction(None, system=True) as s:
        # an endpoint deleted meanwhile took its deliveries with it: skip their attempts
        alive = set(
            (await s.execute(_ALIVE, {"ids": [a["delivery_id"] for a in attempts]})).scalars()
        )
        attempts = [a for a in attempts if a["delivery_id"] in alive]
        if attempts:
            await s.execute(insert(Attempt), attempts)
        await s.execute(_RECORD, updates)
        if succeeded:
            await s.execute(_CLEAR_FAILING, {"ids": list(succeeded)})
        only_failed = failed - succeeded
        if only_failed:
            await s.execute(_MARK_FAILING, {"ids": list(only_failed), "now": now})
            cutoff = now - timedelta(seconds=settings.endpoint_disable_after_seconds)
            disabled += (
                await s.execute(
                    _DISABLE,
                    {
                        "ids": list(only_failed - gone),
                        "reason": "failing",
                        "force": False,
                        "cutoff": cutoff,
                    },
                )
            ).all()
        if gone:
            disabled += (
                await s.execute(
                    _DISABLE,
                    {
                        "ids": list(gone),
                        "reason": "gone",
                        "force": True,
                        "cutoff": now,
                    },
                )
            ).all()
        for ep in disabled:
            reason = "gone" if ep.id in gone else "failing"
            await emit_sync_event(
                s,
                EndpointDisabled(endpoint_id=ep.id, url=ep.url, reason=reason),
                tenant_id=ep.tenant_id,
                subject=f"endpoints/{ep.id}",
            )
    return disabled
