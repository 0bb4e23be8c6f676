"""Every query of the audit table (tenant scoping here and in its row-level policy)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.audit.table import RECORDS
from libs.common.pagination import PageParams, decode_cursor, encode_cursor

C = RECORDS.c
_EXISTS = text("SELECT to_regclass('audit_records') IS NOT NULL")


@dataclass(frozen=True, slots=True)
class RecordFilter:
    actor: str | None = None
    route: str | None = None
    outcome: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(RECORDS.insert().values(**values))


async def add_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert records made elsewhere (the gateway's); one already stored (a retried
    batch) is skipped."""
    if not rows:
        return 0
    stmt = pg_insert(RECORDS).values(list(rows)).on_conflict_do_nothing(index_elements=["id"])
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, f: RecordFilter, page: PageParams
) -> tuple[list[Row[Any]], str | None]:
    stmt = select(RECORDS).where(C.tenant_id == tenant_id)
    if f.actor:
        stmt = stmt.where(or_(C.actor == f.actor, C.act["sub"].astext == f.actor))
    if f.route:
        stmt = stmt.where(or_(C.route == f.route, C.path == f.route))
    if f.outcome:
        stmt = stmt.where(C.outcome == f.outcome)
    if f.request_id:
        stmt = stmt.where(C.request_id == f.request_id)
    if f.since is not None:
        stmt = stmt.where(C.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(C.at < f.until)
    if page.cursor:
        (after,) = decode_cursor(page.cursor, [uuid.UUID])
        stmt = stmt.where(C.id < after)
    stmt = stmt.order_by(C.id.desc()).limit(page.limit + 1)
    rows = list((await session.execute(stmt)).all())
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = encode_cursor([rows[-1].id])
    return rows, cursor


async def prune(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to `limit` records older than `before` (every tenant: a system job)."""
    doomed = select(C.id).where(C.at < before).limit(limit).scalar_subquery()
    result = await session.execute(delete(RECORDS).where(C.id.in_(doomed)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def exists(session: AsyncSession) -> bool:
    """Whether the connection's schema has the table (a scratch schema may not)."""
    return bool((await session.execute(_EXISTS)).scalar())
