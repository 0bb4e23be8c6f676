"""Traces of a partner project's test runs and mock calls: filtered, paginated, searchable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from libs.common.deps import TenantSession
from libs.common.pagination import Page, PageQuery
from services.partner.access import Reader, errors
from services.partner.projects.service import NotAPartnerProject, ProjectNotFound
from services.partner.traces import service
from services.partner.traces.schemas import Trace

router = APIRouter(tags=["traces"])


@router.get(
    "/projects/{project_id}/traces",
    response_model=Page[Trace],
    summary="Traces of the project's runs and mock calls, newest first",
    description="Filter by operation (`GET /items/{item_id}`), status, source, run and time "
    "(`since` inclusive, `until` exclusive); `q` searches operation, method, path, status "
    "and summary (Postgres full-text search, web-search syntax).",
    responses=errors(400, ProjectNotFound, NotAPartnerProject),
)
async def list_traces(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    page: PageQuery,
    operation: Annotated[str | None, Query(max_length=300)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    source: Annotated[Literal["run", "mock"] | None, Query()] = None,
    run_id: Annotated[uuid.UUID | None, Query()] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[Trace]:
    rows, cursor = await service.list_traces(
        session,
        caller,
        project_id,
        page,
        operation=operation,
        status=status,
        source=source,
        run_id=run_id,
        since=since,
        until=until,
        q=q,
    )
    return Page(items=[Trace.model_validate(r) for r in rows], next_cursor=cursor)
