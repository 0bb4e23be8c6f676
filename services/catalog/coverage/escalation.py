"""Escalation on SLA breach, as a scheduled job (`catalog.escalate_overdue`, every minute).

A ticket whose policy's trigger target (response: not acknowledged in time; resolve: not
resolved in time) has passed moves one level up its escalation path (DL1 -> D1 -> M1): the
next organisation becomes responsible, the step is recorded, `catalog.ticket.escalated`
leaves, and the SLA clock starts again for the new level. At the end of the path (or of
the matrix's `max_levels`) the ticket is marked breached, once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import cast

from libs.common.db import Database
from libs.common.jobs import JobContext
from services.catalog.coverage import repository as repo
from services.catalog.coverage.schemas import EscalationStep, PolicyRules, Severity
from services.catalog.coverage.service import due_dates
from services.catalog.events import TicketEscalated, emit
from services.catalog.jobs import jobs
from services.catalog.models import Ticket, TicketEscalation

log = logging.getLogger("weft.catalog.escalation")


def _breached(ticket: Ticket, step: EscalationStep, now: datetime) -> str | None:
    if step.trigger == "response":
        due = ticket.response_due_at
        if ticket.status == "open" and due is not None and due <= now:
            return f"response target {due.isoformat()} passed without acknowledgement"
        return None
    due = ticket.resolve_due_at
    if ticket.status in ("open", "acknowledged") and due is not None and due <= now:
        return f"resolve target {due.isoformat()} passed"
    return None


async def escalate_ticket(
    db: Database, tenant_id: uuid.UUID, ticket_id: uuid.UUID, now: datetime
) -> bool:
    async with db.transaction(tenant_id) as session:
        ticket = await repo.get_ticket(session, tenant_id, ticket_id, lock=True)
        if ticket is None or ticket.breached:
            return False
        policy = (
            await repo.get_policy(session, tenant_id, ticket.coverage_policy_id)
            if ticket.coverage_policy_id
            else None
        )
        rules = PolicyRules.model_validate(policy.rules) if policy else None
        level = cast(Severity, ticket.severity)
        step = (rules.escalation.get(level) if rules else None) or EscalationStep()
        reason = _breached(ticket, step, now)
        if reason is None:
            return False
        path = [uuid.UUID(p) for p in ticket.escalation_path]
        frm = ticket.responsible_org_id
        if ticket.level + 1 < len(path) and ticket.level < step.max_levels:
            ticket.level += 1
            ticket.responsible_org_id = path[ticket.level]
            ticket.status, ticket.acknowledged_at = "open", None
            ticket.response_due_at, ticket.resolve_due_at = due_dates(rules, ticket.severity, now)
            to: uuid.UUID | None = ticket.responsible_org_id
        else:
            ticket.breached = True
            to = None
            reason += "; no further level: breached"
        session.add(
            TicketEscalation(
                tenant_id=tenant_id,
                ticket_id=ticket.id,
                level=ticket.level if to else ticket.level + 1,
                from_org_id=frm,
                to_org_id=to,
                reason=reason,
                escalated_at=now,
            )
        )
        await session.flush()
        await emit(
            session,
            TicketEscalated(
                ticket_id=ticket.id,
                level=ticket.level,
                from_org_id=frm,
                to_org_id=to,
                reason=reason,
                response_due_at=ticket.response_due_at if to else None,
            ),
            tenant_id=tenant_id,
            subject=f"tickets/{ticket.id}",
        )
        return True


async def escalate_overdue(db: Database, now: datetime | None = None, batch: int = 500) -> int:
    """One sweep over every tenant's overdue tickets; each ticket in its own transaction
    (as its tenant). Returns how many tickets moved or were marked breached."""
    now = now or datetime.now(UTC)
    async with db.transaction(None, system=True) as session:
        due = await repo.overdue(session, now, batch)
    moved = 0
    for tenant_id, ticket_id in due:
        if await escalate_ticket(db, tenant_id, ticket_id, now):
            moved += 1
    if moved:
        log.info("escalated tickets", extra={"count": moved})
    return moved


@jobs.periodic("catalog.escalate_overdue", cron="* * * * *")
async def escalate_overdue_job(ctx: JobContext) -> dict[str, int]:
    return {"escalated": await escalate_overdue(ctx.db)}
