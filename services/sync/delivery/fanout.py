"""Fan-out: one delivery row per (event, matching enabled endpoint), in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.ids import new_id
from services.sync.delivery.matching import any_matches
from services.sync.models import Delivery
from services.sync.visibility import endpoint_sees_event

_CANDIDATES = text(
    """
    SELECT id, tenant_id, parent_tenant_id, kind, scope, event_types FROM endpoints
    WHERE enabled AND (
        kind = 'internal'
        OR (scope = 'own' AND tenant_id = ANY(:tenants))
        OR (scope = 'customer' AND tenant_id = ANY(:customers))
    )
    """
)


def endpoint_wants(ep: Any, event: dict[str, Any]) -> bool:
    ok = ep.kind == "internal" or endpoint_sees_event(ep, event)
    return ok and any_matches(ep.event_types, event["type"])


async def fan_out(
    session: AsyncSession,
    events: Sequence[dict[str, Any]],
    *,
    only_endpoint: uuid.UUID | None = None,
) -> int:
    """Create pending deliveries for `events` (dicts with id, type, tenant_id, customer_tenant_id)."""
    if not events:
        return 0
    tenants = list({e["tenant_id"] for e in events})
    customers = list({e["customer_tenant_id"] for e in events if e.get("customer_tenant_id")})
    endpoints = (
        await session.execute(_CANDIDATES, {"tenants": tenants, "customers": customers})
    ).all()
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id(),
            "tenant_id": ep.tenant_id,
            "event_id": ev["id"],
            "endpoint_id": ep.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for ev in events
        for ep in endpoints
        if (only_endpoint is None or ep.id == only_endpoint) and endpoint_wants(ep, ev)
    ]
    if rows:
        await session.execute(
            insert(Delivery).on_conflict_do_nothing(index_elements=["event_id", "endpoint_id"]),
            rows,
        )
    return len(rows)
