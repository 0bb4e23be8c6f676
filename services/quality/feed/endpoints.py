"""GET /feed (5-second polling) and GET /feed/stream (server-sent events)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, errors
from libs.common.pagination import MAX_LIMIT
from services.quality.access import require_route
from services.quality.feed import service
from services.quality.feed.schemas import FeedItem, FeedPage

router = APIRouter(prefix="/feed", tags=["feed"], responses=AUTH_ERRORS)


async def _reader(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
) -> Principal:
    require_route(principal, "inspections:read")
    return principal


Reader = Annotated[Principal, Depends(_reader)]


@router.get(
    "",
    response_model=FeedPage,
    summary="Feed entries after the cursor, oldest first (poll with next_cursor)",
    responses=errors(service.InvalidFeedCursor),
)
async def list_feed(
    principal: Reader,
    session: TenantSession,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> FeedPage:
    rows, next_cursor = await service.page(session, principal, cursor, limit, lot_id)
    return FeedPage(items=[FeedItem.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/stream",
    summary="The feed as server-sent events; reconnect with Last-Event-ID to resume",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **errors(service.InvalidFeedCursor, service.LotNotFound),
    },
)
async def stream_feed(
    principal: Reader,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> StreamingResponse:
    service.parse_position(last_event_id)  # a bad id is a 400 before the stream opens
    await service.ensure_lot(request.app.state.db, principal, lot_id)
    return StreamingResponse(
        service.stream(
            request.app.state.db,
            request.app.state.feed_hub,
            principal,
            last_event_id,
            lot_id,
            request.app.state.settings.feed_keepalive_seconds,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
