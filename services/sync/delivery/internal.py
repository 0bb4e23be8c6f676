"""Internal subscribers: which service consumes which event types (config data).

Each becomes an endpoint row of kind `internal` (no tenant), delivered by the same worker and
signed with the receiving service's own secret, which it verifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from libs.common.db import Database
from libs.common.ids import new_id
from services.sync.config import Settings


@dataclass(frozen=True)
class InternalSubscriber:
    service: str
    path: str
    event_types: tuple[str, ...]


SUBSCRIBERS: tuple[InternalSubscriber, ...] = (
    # quality records that a lot awaits inspection when production moves it to QA
    InternalSubscriber("quality", "/internal/events/production", ("production.lot.gate_reached",)),
)

_UPSERT = text(
    """
    INSERT INTO endpoints (id, tenant_id, kind, scope, service, url, event_types, enabled,
                           version, description)
    VALUES (:id, NULL, 'internal', 'all', :service, :url, :types, true, 1, :description)
    ON CONFLICT (service) DO UPDATE
        SET url = EXCLUDED.url, event_types = EXCLUDED.event_types, enabled = true,
            disabled_reason = NULL, updated_at = now()
    """
)


async def register_internal_subscribers(db: Database, settings: Settings) -> None:
    async with db.transaction(None, system=True) as session:
        for sub in SUBSCRIBERS:
            base = settings.service_urls.get(sub.service)
            if not base:
                continue
            await session.execute(
                _UPSERT,
                {
                    "id": new_id(),
                    "service": sub.service,
                    "url": base.rstrip("/") + sub.path,
                    "types": list(sub.event_types),
                    "description": f"internal subscriber: {sub.service}",
                },
            )
