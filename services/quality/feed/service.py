"""The live QA feed: what happened to inspections, defects, photos, reports and passports,
in commit order. Polling reads a page after a cursor; the stream sends each row once, with
its `seq` as the SSE id, and resumes after `Last-Event-ID`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.errors import BadRequest, NotFound
from services.quality.feed import repository as repo
from services.quality.feed.hub import FeedHub
from services.quality.feed.schemas import FeedItem
from services.quality.models import FeedEntry

POLL_SECONDS = 5.0


class InvalidFeedCursor(BadRequest):
    code, title = "invalid_cursor", "Invalid cursor"


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


BATCH = 200


async def ensure_lot(db: Database, principal: Principal, lot_id: uuid.UUID | None) -> None:
    """A stream of one lot opens for a lot the caller sees only (404 before it opens: a
    stream of an unknown or foreign lot would stay open, empty, until the token expires)."""
    if lot_id is None:
        return
    async with db.transaction(
        principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
    ) as session:
        if not await repo.lot_visible(session, principal, lot_id):
            raise LotNotFound("No lot with this id")


def parse_position(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise InvalidFeedCursor("The cursor is not valid") from None
    if value < 0:
        raise InvalidFeedCursor("The cursor is not valid")
    return value


async def page(
    session: AsyncSession,
    principal: Principal,
    cursor: str | None,
    limit: int,
    lot_id: uuid.UUID | None,
) -> tuple[list[FeedEntry], str]:
    position = parse_position(cursor)
    rows = await repo.after(session, principal, position, limit, lot_id)
    return rows, str(rows[-1].seq if rows else position)


def _owner(principal: Principal) -> uuid.UUID:
    """Feed rows belong to the provider: a brand's rows are its parent's."""
    if principal.space == Space.CLIENT and principal.parent_tenant_id:
        return principal.parent_tenant_id
    return principal.tenant_id


def _frame(entry: FeedEntry) -> bytes:
    body = FeedItem.model_validate(entry).model_dump(mode="json")
    return (
        f"id: {entry.seq}\nevent: {entry.type}\n".encode()
        + b"data: "
        + orjson.dumps(body)
        + b"\n\n"
    )


async def stream(
    db: Database,
    hub: FeedHub,
    principal: Principal,
    last_event_id: str | None,
    lot_id: uuid.UUID | None,
    keepalive: float,
) -> AsyncIterator[bytes]:
    position = parse_position(last_event_id)
    yield b"retry: 2000\n\n"
    async with hub.subscribe(_owner(principal)) as woken:
        last_sent = time.monotonic()
        while principal.expires_at > time.time():
            woken.clear()
            async with db.transaction(
                principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
            ) as session:
                rows = await repo.after(session, principal, position, BATCH, lot_id)
            for entry in rows:
                position = entry.seq
                yield _frame(entry)
            if rows:
                last_sent = time.monotonic()
                if len(rows) == BATCH:
                    continue
            try:
                await asyncio.wait_for(woken.wait(), min(POLL_SECONDS, keepalive))
            except TimeoutError:
                if time.monotonic() - last_sent >= keepalive:
                    last_sent = time.monotonic()
                    yield b": keepalive\n\n"
    # the token expired: the client reconnects with a fresh one and Last-Event-ID
