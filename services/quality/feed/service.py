"""The live QA feed: what happened to inspections, defects, photos, reports and passports,
in commit order. Polling reads a page after a cursor; the stream sends each row once, with
its `seq` as the SSE id, and resumes after `Last-Event-ID`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.errors import BadRequest, NotFound
from services.quality.feed import repository as repo
from services.quality.feed.hub import BATCH, POLL_SECONDS, FeedHub, frame
from services.quality.models import FeedEntry


class InvalidFeedCursor(BadRequest):
    code, title = "invalid_cursor", "Invalid cursor"


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


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


async def stream(
    db: Database,
    hub: FeedHub,
    principal: Principal,
    last_event_id: str | None,
    lot_id: uuid.UUID | None,
    keepalive: float,
) -> AsyncGenerator[bytes]:
    """Catches up with its own query (what it missed), then takes the rows its tenant's
    reader hands it (feed.hub), keeping those its principal may see."""
    position = parse_position(last_event_id)
    yield b"retry: 2000\n\n"
    async with hub.subscribe(_owner(principal)) as sub:
        catch_up = True
        last_sent = time.monotonic()
        while principal.expires_at > time.time():
            sub.woken.clear()
            if catch_up or sub.lagged:
                sub.lagged = False
                async with db.transaction(
                    principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
                ) as session:
                    entries = await repo.after(session, principal, position, BATCH, lot_id)
                    frames = [(e.seq, frame(e)) for e in entries]
                catch_up = len(entries) == BATCH
                drain = True  # then what arrived meanwhile, without waiting
            else:
                drain = False
                frames = [
                    (row.seq, row.frame)
                    for row in sub.take()
                    if row.seq > position and row.for_(principal, lot_id)
                ]
            for seq, body in frames:
                if seq > position:
                    position = seq
                    yield body
            if frames:
                last_sent = time.monotonic()
            if catch_up or drain or sub.woken.is_set():
                continue
            try:
                await asyncio.wait_for(sub.woken.wait(), min(POLL_SECONDS, keepalive))
            except TimeoutError:
                if time.monotonic() - last_sent >= keepalive:
                    last_sent = time.monotonic()
                    yield b": keepalive\n\n"
    # the token expired: the client reconnects with a fresh one and Last-Event-ID
