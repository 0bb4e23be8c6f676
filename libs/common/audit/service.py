"""Writing, listing and pruning audit records.

A request's record is written once: a write that succeeds adds it in its own transaction
(`record_in_transaction`, called by the kit's TenantSession just before commit), so a
write that rolls back leaves no success behind; anything else that needs a record (a
denial, a failed or rolled-back write) gets it from `AuditMiddleware` in a short
transaction of its own, once the status is known.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.audit import repository as repo
from libs.common.audit.context import AuditContext
from libs.common.audit.repository import RecordFilter
from libs.common.audit.schemas import AuditBatch, AuditRecord
from libs.common.audit.table import outcome_of
from libs.common.auth import Principal
from libs.common.context import public_prefix_var
from libs.common.db import Database
from libs.common.ids import new_id
from libs.common.logs import request_id_var
from libs.common.pagination import Page, PageParams

log = logging.getLogger("weft.audit")

PRUNE_BATCH = 5000


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The matched route's template as the client calls it (`/v1/production/lots/{lot_id}`);
    the path itself when no route matched."""
    route = scope.get("route")
    template = getattr(route, "path", None) or scope["path"]
    return (public_prefix_var.get() + template)[:500]


def build(
    principal: Principal,
    scope: MutableMapping[str, Any],
    ctx: AuditContext,
    *,
    status: int,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "tenant_id": principal.tenant_id,
        "request_id": (request_id_var.get() or "")[:128],
        "actor": principal.subject[:255],
        "act": principal.actor,
        "space": str(principal.space),
        "method": scope["method"],
        "route": route_of(scope),
        "path": (public_prefix_var.get() + scope["path"])[:2000],
        "status": status,
        "outcome": outcome_of(status).value,
        "code": code[:100] if code else None,
        "touched": list(ctx.touched),
        "details": {**ctx.details(), **(extra or {})},
        "at": datetime.now(UTC),
    }


async def record_in_transaction(
    session: AsyncSession, principal: Principal, scope: MutableMapping[str, Any], ctx: AuditContext
) -> None:
    """The success record of a write, in the write's own transaction."""
    route = scope.get("route")
    status = getattr(route, "status_code", None) or 200
    await repo.add(session, build(principal, scope, ctx, status=status))


async def record_alone(db: Database, values: dict[str, Any]) -> None:
    """A record in a short transaction of its own (denials, failed writes)."""
    async with db.transaction(values["tenant_id"]) as session:
        await repo.add(session, values)


async def list_records(
    session: AsyncSession, principal: Principal, f: RecordFilter, page: PageParams
) -> Page[AuditRecord]:
    rows, cursor = await repo.list_page(session, principal.tenant_id, f, page)
    return Page(items=[AuditRecord.model_validate(r._mapping) for r in rows], next_cursor=cursor)


async def ingest(session: AsyncSession, batch: AuditBatch) -> int:
    rows = [{**r.model_dump(), "touched": [], "outcome": r.outcome.value} for r in batch.records]
    return await repo.add_many(session, rows)


async def prune(db: Database, retention_days: int, *, batch: int = PRUNE_BATCH) -> int:
    """Delete records older than the retention period, in batches; returns how many."""
    before = datetime.now(UTC) - timedelta(days=retention_days)
    total = 0
    while True:
        async with db.transaction(None, system=True) as session:
            if not await repo.exists(session):
                return 0
            n = await repo.prune(session, before, batch)
        total += n
        if n < batch:
            return total
