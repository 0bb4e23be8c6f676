"""Every query of endpoints, deliveries and attempts (RLS scopes them to the tenant too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.pagination import PageParams, paginate
from services.sync.models import Attempt, Delivery, Endpoint, Event
from services.sync.models.endpoint import KIND_TENANT
from services.sync.visibility import endpoint_sees, visible_to


async def get_endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> Endpoint | None:
    stmt = select(Endpoint).where(
        Endpoint.id == endpoint_id, Endpoint.tenant_id == tenant_id, Endpoint.kind == KIND_TENANT
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def list_endpoints(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Endpoint], str | None]:
    stmt = select(Endpoint).where(Endpoint.tenant_id == tenant_id, Endpoint.kind == KIND_TENANT)
    rows, cursor = await paginate(session, stmt, page, keys=[Endpoint.id])
    return list(rows), cursor


_LOCK_DELIVERIES = text("SELECT id FROM deliveries WHERE endpoint_id = :id ORDER BY id FOR UPDATE")
_DELETE_DELIVERIES = text("DELETE FROM deliveries WHERE endpoint_id = :id")


async def delete_endpoint(session: AsyncSession, endpoint: Endpoint) -> None:
    """Deliveries first, in id order, then the endpoint: the delivery worker locks in the same
    order (deliveries by id, then endpoints), so a delete during a retry cannot deadlock."""
    await session.execute(_LOCK_DELIVERIES, {"id": endpoint.id})
    await session.execute(_DELETE_DELIVERIES, {"id": endpoint.id})
    await session.delete(endpoint)
    await session.flush()


async def list_attempts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    endpoint_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> tuple[list[Attempt], str | None]:
    stmt = _attempts_stmt(tenant_id, endpoint_id=endpoint_id, event_id=event_id)
    rows, cursor = await paginate(session, stmt, page, keys=[Attempt.id])
    return list(rows), cursor


async def message_known(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> bool:
    """An event the tenant may see, or one with attempts to its endpoints (kept after the
    event itself was cleaned up)."""
    event = select(Event.id).where(Event.id == event_id, visible_to(principal)).exists()
    attempt = (
        select(Attempt.id)
        .where(Attempt.tenant_id == principal.tenant_id, Attempt.event_id == event_id)
        .exists()
    )
    return bool(await session.scalar(select(or_(event, attempt))))


async def list_deliveries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    status: str | None,
    page: PageParams,
) -> tuple[list[Delivery], str | None]:
    stmt = _deliveries_stmt(tenant_id, endpoint_id, status)
    rows, cursor = await paginate(session, stmt, page, keys=[Delivery.id])
    return list(rows), cursor


def _attempts_stmt(
    tenant_id: uuid.UUID, *, endpoint_id: uuid.UUID | None = None, event_id: uuid.UUID | None = None
) -> Select[Any]:
    stmt = select(Attempt).where(Attempt.tenant_id == tenant_id)
    if endpoint_id:
        stmt = stmt.where(Attempt.endpoint_id == endpoint_id)
    if event_id:
        stmt = stmt.where(Attempt.event_id == event_id)
    return stmt


def _deliveries_stmt(
    tenant_id: uuid.UUID, endpoint_id: uuid.UUID, status: str | None
) -> Select[Any]:
    stmt = select(Delivery).where(
        Delivery.tenant_id == tenant_id, Delivery.endpoint_id == endpoint_id
    )
    if status:
        stmt = stmt.where(Delivery.status == status)
    return stmt


async def get_event_for_endpoint(
    session: AsyncSession, endpoint: Endpoint, event_id: uuid.UUID
) -> Event | None:
    stmt = select(Event).where(
        Event.id == event_id, or_(endpoint_sees(endpoint), Event.tenant_id == endpoint.tenant_id)
    )
    return (await session.scalars(stmt)).first()


async def events_in_range(
    session: AsyncSession, endpoint: Endpoint, since: datetime, until: datetime | None, cap: int
) -> list[Event]:
    stmt = select(Event).where(endpoint_sees(endpoint), Event.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Event.occurred_at < until)
    return list((await session.scalars(stmt.order_by(Event.occurred_at).limit(cap))).all())


_REQUEUE = text(
    """
    INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempts,
                            next_attempt_at, created_at, updated_at)
    VALUES (:id, :tenant_id, :event_id, :endpoint_id, 'pending', 0, now(), now(), now())
    ON CONFLICT (event_id, endpoint_id) DO UPDATE
        SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
        WHERE deliveries.status <> 'pending'
    """
)


async def requeue(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Deliver these (event, endpoint) pairs again: one ledger row each, reset to pending."""
    if rows:
        await session.execute(_REQUEUE, rows)


async def recover_failed(session: AsyncSession, endpoint_id: uuid.UUID, since: datetime) -> int:
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.endpoint_id == endpoint_id,
            Delivery.status == "failed",
            Delivery.created_at >= since,
        )
        .values(
            status="pending", attempts=0, next_attempt_at=text("now()"), updated_at=text("now()")
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
