"""Internal endpoints (kind `internal`, no tenant): one per (service, path)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.ids import new_id

_UPSERT = text(
    """
    INSERT INTO endpoints (id, tenant_id, kind, scope, service, path, url, event_types, enabled,
                           version, description)
    VALUES (:id, NULL, 'internal', 'all', :service, :path, :url, :types, true, 1, :description)
    ON CONFLICT (service, path) DO UPDATE
        SET url = EXCLUDED.url, event_types = EXCLUDED.event_types, enabled = true,
            description = EXCLUDED.description, disabled_reason = NULL, updated_at = now(),
            version = endpoints.version + 1
    """
)
_UNSUBSCRIBE = text(
    """
    UPDATE endpoints SET enabled = false, disabled_reason = 'unsubscribed', updated_at = now(),
                         version = version + 1
    WHERE kind = 'internal' AND service = :service AND enabled AND NOT (path = ANY(:paths))
    RETURNING path
    """
)


async def upsert(
    session: AsyncSession, *, service: str, path: str, url: str, types: list[str], description: str
) -> None:
    await session.execute(
        _UPSERT,
        {
            "id": new_id(),
            "service": service,
            "path": path,
            "url": url,
            "types": types,
            "description": description or f"internal subscriber: {service}",
        },
    )


async def unsubscribe_others(session: AsyncSession, *, service: str, keep: list[str]) -> list[str]:
    rows = (await session.execute(_UNSUBSCRIBE, {"service": service, "paths": keep})).all()
    return sorted(r.path for r in rows)
