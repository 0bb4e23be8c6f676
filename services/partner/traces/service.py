"""Traces: one row per request a golden run or a mock answered, for a partner project.

`record_trace` is the one way to write a trace: the run job calls it for every exchange, and
the mocks for every call they answer. Request and response are stored as given: callers
pass them bounded and redacted (services.partner.runs.redact).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.partner.access import Caller
from services.partner.models import Trace
from services.partner.projects import service as projects
from services.partner.traces import repository as repo


async def record_trace(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    customer_tenant_id: uuid.UUID | None,
    project_id: uuid.UUID,
    source: Literal["run", "mock"],
    method: str,
    path: str,
    status: int | None,
    duration_ms: float = 0.0,
    operation: str | None = None,
    summary: str = "",
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    run_id: uuid.UUID | None = None,
    mock_id: uuid.UUID | None = None,
) -> Trace:
    trace = Trace(
        tenant_id=tenant_id,
        customer_tenant_id=customer_tenant_id,
        project_id=project_id,
        source=source,
        run_id=run_id,
        mock_id=mock_id,
        operation=operation[:300] if operation else None,
        method=method[:10],
        path=path[:2000],
        status=status,
        duration_ms=duration_ms,
        summary=summary[:4000],
        request=request or {},
        response=response,
    )
    session.add(trace)
    await session.flush()
    return trace


async def list_traces(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    page: PageParams,
    *,
    operation: str | None = None,
    status: int | None = None,
    source: str | None = None,
    run_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    stmt = repo.query(
        caller.principal,
        project_id,
        operation=operation,
        status=status,
        source=source,
        run_id=run_id,
        since=since,
        until=until,
        q=q,
    )
    return await paginate(session, stmt, page, keys=[Trace.id])
