"""The assistant's queries: retrieval over one project's records (Postgres full-text search),
its conversations and messages. Tenant scoping lives here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import (
    AssistantMessage,
    Conversation,
    Criterion,
    Evidence,
    Run,
    RunCase,
    Trace,
)

Kind = Literal["failing_case", "plan_item", "trace", "evidence"]


@dataclass(frozen=True)
class Record:
    kind: Kind
    id: uuid.UUID
    title: str
    text: str
    rank: float


def _rank(text: Any, query: Any) -> Any:
    return func.ts_rank(func.to_tsvector("simple", text), query)


async def retrieve(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    words: list[str],
    per_kind: int,
) -> list[Record]:
    """The project's records that match any of `words`, best first per kind; a kind with no
    match contributes its most pressing rows (latest failures, open plan items) at rank 0."""
    query = func.to_tsquery("simple", " | ".join(words)) if words else None
    out: list[Record] = []

    latest = (
        select(Run.id)
        .where(
            visible(principal, Run.tenant_id, Run.customer_tenant_id),
            Run.project_id == project_id,
            Run.status.in_(["passed", "failed", "errored"]),
        )
        .order_by(Run.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    case_text = func.concat_ws(" ", RunCase.name, RunCase.operation, RunCase.message)
    cases = select(RunCase.id, RunCase.name, case_text).where(
        RunCase.run_id == latest,
        RunCase.result != "pass",
        visible(principal, RunCase.tenant_id, RunCase.customer_tenant_id),
    )
    out += await _ranked(session, "failing_case", cases, case_text, query, per_kind, fallback=True)

    crit_text = func.concat_ws(" ", Criterion.title, Criterion.description, Criterion.status)
    crits = select(Criterion.id, Criterion.title, crit_text).where(
        Criterion.project_id == project_id,
        Criterion.status != "met",
        visible(principal, Criterion.tenant_id, Criterion.customer_tenant_id),
    )
    out += await _ranked(session, "plan_item", crits, crit_text, query, per_kind, fallback=True)

    trace_text = func.concat_ws(
        " ", Trace.operation, Trace.method, Trace.path, cast(Trace.status, String), Trace.summary
    )
    traces = select(Trace.id, func.concat_ws(" ", Trace.method, Trace.path), trace_text).where(
        Trace.project_id == project_id,
        visible(principal, Trace.tenant_id, Trace.customer_tenant_id),
    )
    out += await _ranked(session, "trace", traces, trace_text, query, per_kind, fallback=False)

    ev_text = func.concat_ws(" ", Evidence.title, Evidence.kind, Evidence.status, Evidence.note)
    evidence = select(Evidence.id, Evidence.title, ev_text).where(
        Evidence.project_id == project_id,
        visible(principal, Evidence.tenant_id, Evidence.customer_tenant_id),
    )
    out += await _ranked(session, "evidence", evidence, ev_text, query, per_kind, fallback=False)
    return out


async def _ranked(
    session: AsyncSession,
    kind: Kind,
    stmt: Select[Any],
    text: Any,
    query: Any,
    limit: int,
    *,
    fallback: bool,
) -> list[Record]:
    rows: list[Any] = []
    if query is not None:
        rank = _rank(text, query)
        matched = stmt.add_columns(rank).where(func.to_tsvector("simple", text).op("@@")(query))
        rows = list((await session.execute(matched.order_by(rank.desc()).limit(limit))).all())
    if not rows and fallback:
        newest = stmt.add_columns(literal(0.0)).order_by(stmt.selected_columns[0].desc())
        rows = list((await session.execute(newest.limit(limit))).all())
    return [Record(kind, r[0], str(r[1] or ""), str(r[2] or ""), float(r[3])) for r in rows]


def conversations_query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(Conversation).where(
        visible(principal, Conversation.tenant_id, Conversation.customer_tenant_id),
        Conversation.project_id == project_id,
    )


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: uuid.UUID
) -> Conversation | None:
    stmt = select(Conversation).where(
        visible(principal, Conversation.tenant_id, Conversation.customer_tenant_id),
        Conversation.id == conversation_id,
    )
    return (await session.scalars(stmt)).one_or_none()


def messages_query(principal: Principal) -> Select[Any]:
    return select(AssistantMessage).where(
        visible(principal, AssistantMessage.tenant_id, AssistantMessage.customer_tenant_id)
    )


async def asked_since(session: AsyncSession, partner: uuid.UUID, since: datetime) -> list[datetime]:
    stmt = (
        select(AssistantMessage.created_at)
        .where(AssistantMessage.customer_tenant_id == partner, AssistantMessage.created_at >= since)
        .order_by(AssistantMessage.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def history(
    session: AsyncSession, conversation_id: uuid.UUID, limit: int
) -> list[AssistantMessage]:
    stmt = (
        select(AssistantMessage)
        .where(AssistantMessage.conversation_id == conversation_id)
        .order_by(AssistantMessage.id.desc())
        .limit(limit)
    )
    return list(reversed((await session.scalars(stmt)).all()))
