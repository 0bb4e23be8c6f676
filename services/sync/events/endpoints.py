"""GET /events: the tenant's events, kept for the published retention period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from libs.common.auth import Space
from libs.common.deps import TenantSession
from libs.common.errors import AUTH_ERRORS, NotFound, problem_responses
from libs.common.pagination import Page, PageQuery, paginate
from services.sync.deps import EventReader
from services.sync.events.schemas import EventOut
from services.sync.models import Event

router = APIRouter(prefix="/events", tags=["events"], responses=AUTH_ERRORS)


def _visible(principal: EventReader) -> object:
    if principal.space == Space.CLIENT:
        return or_(
            Event.tenant_id == principal.tenant_id, Event.customer_tenant_id == principal.tenant_id
        )
    return Event.tenant_id == principal.tenant_id


@router.get(
    "",
    response_model=Page[EventOut],
    summary="List events, newest first (kept for the retention period, 30 days by default)",
)
async def list_events(
    principal: EventReader,
    session: TenantSession,
    page: PageQuery,
    type: Annotated[str | None, Query(max_length=200, description="Exact type or prefix.*")] = None,
    since: Annotated[datetime | None, Query(description="occurred_at >= since")] = None,
    until: Annotated[datetime | None, Query(description="occurred_at < until")] = None,
) -> Page[EventOut]:
    stmt = select(Event).where(_visible(principal))  # type: ignore[arg-type]
    if type:
        if type.endswith("*"):
            prefix = type[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Event.type.like(prefix + "%"))
        else:
            stmt = stmt.where(Event.type == type)
    if since:
        stmt = stmt.where(Event.occurred_at >= since)
    if until:
        stmt = stmt.where(Event.occurred_at < until)
    rows, cursor = await paginate(session, stmt, page, keys=[Event.id])
    return Page(items=[EventOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{event_id}", response_model=EventOut, responses=problem_responses(404))
async def get_event(
    event_id: uuid.UUID, principal: EventReader, session: TenantSession
) -> EventOut:
    row = (
        await session.scalars(
            select(Event).where(Event.id == event_id, _visible(principal))  # type: ignore[arg-type]
        )
    ).first()
    if row is None:
        raise NotFound("No such event", code="event_not_found")
    return EventOut.model_validate(row)
