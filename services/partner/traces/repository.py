"""Trace queries: tenant scoping (both halves of the client rule) lives here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Trace


def query(
    principal: Principal,
    project_id: uuid.UUID,
    *,
    operation: str | None = None,
    status: int | None = None,
    source: str | None = None,
    run_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
) -> Select[Any]:
    stmt = select(Trace).where(
        visible(principal, Trace.tenant_id, Trace.customer_tenant_id),
        Trace.project_id == project_id,
    )
    if operation:
        stmt = stmt.where(Trace.operation == operation)
    if status is not None:
        stmt = stmt.where(Trace.status == status)
    if source:
        stmt = stmt.where(Trace.source == source)
    if run_id:
        stmt = stmt.where(Trace.run_id == run_id)
    if since:
        stmt = stmt.where(Trace.occurred_at >= since)
    if until:
        stmt = stmt.where(Trace.occurred_at < until)
    if q:
        stmt = stmt.where(Trace.search.bool_op("@@")(func.websearch_to_tsquery("simple", q)))
    return stmt
