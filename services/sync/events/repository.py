"""Every query of the event log (RLS scopes it to the tenant too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from libs.common.pagination import PageParams, decode_cursor, encode_cursor, paginate
from services.sync.models import Event
from services.sync.models.event import WATERMARK_SQL


@dataclass(frozen=True)
class EventFilter:
    visible: ColumnElement[bool]
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: EventFilter) -> Select[Any]:
    stmt = select(Event).where(f.visible)
    if f.type:
        if f.type.endswith("*"):
            prefix = f.type[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Event.type.like(prefix + "%"))
        else:
            stmt = stmt.where(Event.type == f.type)
    if f.since:
        stmt = stmt.where(Event.occurred_at >= f.since)
    if f.until:
        stmt = stmt.where(Event.occurred_at < f.until)
    return stmt


async def newest_first(
    session: AsyncSession, f: EventFilter, page: PageParams
) -> tuple[list[Event], str | None]:
    rows, cursor = await paginate(session, _filtered(f), page, keys=[Event.id])
    return list(rows), cursor


async def in_ingest_order(
    session: AsyncSession, f: EventFilter, after: str | None, limit: int
) -> tuple[list[Event], str | None]:
    """The next events after `after` in ingest order, never past a transaction in flight.

    The next cursor is the position of the last event returned (or `after` itself when
    nothing new is ready), so a poller keeps its place."""
    stmt = _filtered(f).where(Event.ingest_xid < text(WATERMARK_SQL))
    if after:
        xid, seq = decode_cursor(after, [int, int])
        stmt = stmt.where(tuple_(Event.ingest_xid, Event.seq) > tuple_(xid, seq))
    stmt = stmt.order_by(Event.ingest_xid, Event.seq).limit(limit)
    rows = list((await session.scalars(stmt)).all())
    if rows:
        return rows, encode_cursor([rows[-1].ingest_xid, rows[-1].seq])
    return rows, after


async def get_event(
    session: AsyncSession, visible: ColumnElement[bool], event_id: uuid.UUID
) -> Event | None:
    return (await session.scalars(select(Event).where(Event.id == event_id, visible))).first()
