"""GET /events: the tenant's events, kept for the published retention period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from libs.common.deps import TenantSession
from libs.common.errors import AUTH_ERRORS, problem_responses
from libs.common.pagination import Page, PageQuery
from services.sync.deps import EventReader
from services.sync.events import service
from services.sync.events.schemas import EventOut

router = APIRouter(prefix="/events", tags=["events"], responses=AUTH_ERRORS)


@router.get(
    "",
    response_model=Page[EventOut],
    summary="List events: newest first, or forward in ingest order (kept 30 days by default)",
    description=(
        "Newest first with `cursor`. To catch up, page forward in ingest order instead: "
        "`order=asc` starts at the oldest event kept, and `after=<next_cursor>` continues. "
        "Forward paging never skips an event, even one a relay delivers late: an event "
        "appears only once every ingest before it has committed, and `next_cursor` always "
        "holds the position reached, so polling with it returns only what is new."
    ),
    responses=problem_responses(400),
)
async def list_events(
    principal: EventReader,
    session: TenantSession,
    page: PageQuery,
    type: Annotated[str | None, Query(max_length=200, description="Exact type or prefix.*")] = None,
    since: Annotated[datetime | None, Query(description="occurred_at >= since")] = None,
    until: Annotated[datetime | None, Query(description="occurred_at < until")] = None,
    order: Annotated[
        Literal["desc", "asc"], Query(description="desc: newest first; asc: ingest order")
    ] = "desc",
    after: Annotated[
        str | None,
        Query(max_length=512, description="Forward cursor (ingest order), from next_cursor"),
    ] = None,
) -> Page[EventOut]:
    rows, cursor = await service.list_events(
        session,
        principal,
        page,
        type=type,
        since=since,
        until=until,
        after=after,
        ascending=order == "asc",
    )
    return Page(items=[EventOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{event_id}", response_model=EventOut, responses=problem_responses(404))
async def get_event(
    event_id: uuid.UUID, principal: EventReader, session: TenantSession
) -> EventOut:
    return EventOut.model_validate(await service.get_event(session, principal, event_id))
