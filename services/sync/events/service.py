"""The event log as a tenant reads it: its own events, and a client's made for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.pagination import PageParams
from services.sync.events import repository as repo
from services.sync.events.errors import CursorConflict, EventNotFound
from services.sync.models import Event
from services.sync.visibility import visible_to


async def list_events(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    ascending: bool = False,
) -> tuple[list[Event], str | None]:
    f = repo.EventFilter(visible_to(principal), type=type, since=since, until=until)
    if after is not None or ascending:
        if page.cursor:
            raise CursorConflict()
        return await repo.in_ingest_order(session, f, after or None, page.limit)
    return await repo.newest_first(session, f, page)


async def get_event(session: AsyncSession, principal: Principal, event_id: uuid.UUID) -> Event:
    row = await repo.get_event(session, visible_to(principal), event_id)
    if row is None:
        raise EventNotFound()
    return row
