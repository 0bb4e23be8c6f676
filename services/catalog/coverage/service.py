"""Service policies, engineers and tickets: the rules. Who is responsible is in policy.py;
escalation on SLA breach in escalation.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, RateLimited, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.catalog.coverage import repository as repo
from services.catalog.coverage.hours import add_business_minutes
from services.catalog.coverage.policy import decide
from services.catalog.coverage.schemas import (
    DEFAULT_SLA,
    EngineerCreate,
    PolicyRules,
    QrTicketCreate,
    ServicePolicyPut,
    Severity,
    TicketCreate,
)
from services.catalog.events import TicketCreated, emit
from services.catalog.models import Engineer, Equipment, ServicePolicy, Ticket, TicketEscalation
from services.catalog.orgs.service import get_org


class PolicyNotFound(NotFound):
    code, title = "policy_not_found", "Service policy not found"


class EngineerNotFound(NotFound):
    code, title = "engineer_not_found", "Engineer not found"


class TicketNotFound(NotFound):
    code, title = "ticket_not_found", "Ticket not found"


class EquipmentUnknown(NotFound):
    code, title = "equipment_not_found", "Equipment not found"


class InvalidPolicyScope(Unprocessable):
    code, title = "invalid_policy_scope", "The scope does not fit the organisation"


class EngineerNotEligible(Unprocessable):
    code, title = "engineer_not_eligible", "The engineer may not take this ticket"


class InvalidTicketMove(Conflict):
    code, title = "invalid_ticket_move", "The ticket cannot move that way"


class QrRateLimited(RateLimited):
    code, title = "qr_rate_limited", "Too many tickets from this equipment"


# --- policies --------------------------------------------------------------------------


async def put_policy(
    session: AsyncSession, tenant_id: uuid.UUID, body: ServicePolicyPut
) -> tuple[ServicePolicy, bool]:
    """Create or replace the policy of a scope (one per scope and org)."""
    if body.scope == "global" and body.org_id is not None:
        raise InvalidPolicyScope("A global policy names no org_id")
    if body.scope != "global":
        if body.org_id is None:
            raise InvalidPolicyScope(f"A {body.scope} policy names an org_id")
        org = await get_org(session, tenant_id, body.org_id)
        if body.scope == "manufacturer" and org.type != "manufacturer":
            raise InvalidPolicyScope(f"{org.name} is a {org.type}, not a manufacturer")
    rules = body.rules.model_dump(mode="json")
    policy = await repo.find_policy(session, tenant_id, body.scope, body.org_id)
    created = policy is None
    if policy is None:
        policy = ServicePolicy(
            tenant_id=tenant_id,
            scope=body.scope,
            org_id=body.org_id,
            name=body.name,
            enabled=body.enabled,
            rules=rules,
        )
        session.add(policy)
    else:
        policy.name, policy.enabled, policy.rules = body.name, body.enabled, rules
    await session.flush()
    return policy, created


async def get_policy(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> ServicePolicy:
    policy = await repo.get_policy(session, tenant_id, id)
    if policy is None:
        raise PolicyNotFound(f"No service policy {id}")
    return policy


async def list_policies(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[ServicePolicy], str | None]:
    return await paginate(session, repo.policies_stmt(tenant_id), page, keys=[ServicePolicy.id])


# --- engineers -------------------------------------------------------------------------


async def create_engineer(
    session: AsyncSession, tenant_id: uuid.UUID, body: EngineerCreate
) -> Engineer:
    if body.org_id is not None:
        await get_org(session, tenant_id, body.org_id)
    engineer = Engineer(tenant_id=tenant_id, **body.model_dump())
    session.add(engineer)
    await session.flush()
    return engineer


async def list_engineers(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams, org_id: uuid.UUID | None
) -> tuple[list[Engineer], str | None]:
    return await paginate(session, repo.engineers_stmt(tenant_id, org_id), page, keys=[Engineer.id])


async def eligible_engineers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    ticket_id: uuid.UUID | None,
    org_id: uuid.UUID | None,
    region: str | None,
    skills: list[str],
    limit: int,
) -> list[Engineer]:
    """Available engineers of the ticket's responsible org (the internal pool when none),
    covering its equipment's region, with every skill asked for; nearest coverage first."""
    if ticket_id is not None:
        ticket = await get_ticket(session, tenant_id, ticket_id)
        org_id = ticket.responsible_org_id
        if ticket.equipment_id is not None:
            equipment = await repo.get_equipment(session, tenant_id, ticket.equipment_id)
            region = equipment.region if equipment else region
    return await repo.available_engineers(session, tenant_id, org_id, region, skills, limit)


# --- tickets ---------------------------------------------------------------------------


def due_dates(
    rules: PolicyRules | None, severity: str, start: datetime
) -> tuple[datetime, datetime]:
    level = cast(Severity, severity)
    target = (rules.sla.get(level) if rules else None) or DEFAULT_SLA[level]
    hours = rules.business_hours if rules else None
    return (
        add_business_minutes(start, target.response_minutes, hours),
        add_business_minutes(start, target.resolve_minutes, hours),
    )


async def _open_ticket(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    equipment: Equipment | None,
    *,
    source: str,
    severity: str,
    subject: str,
    description: str | None,
    reporter: dict[str, Any],
    created_by: str | None,
) -> Ticket:
    now = datetime.now(UTC)
    decision = await decide(session, tenant_id, equipment, now)
    response_due, resolve_due = due_dates(decision.rules, severity, now)
    ticket = Ticket(
        tenant_id=tenant_id,
        equipment_id=equipment.id if equipment else None,
        source=source,
        severity=severity,
        subject=subject,
        description=description,
        reporter=reporter,
        created_by=created_by,
        status="open",
        responsible_org_id=decision.responsible,
        coverage_policy_id=decision.policy.id if decision.policy else None,
        provenance=decision.provenance,
        escalation_path=[str(p) for p in decision.path],
        level=0,
        response_due_at=response_due,
        resolve_due_at=resolve_due,
    )
    session.add(ticket)
    await session.flush()
    await emit(
        session,
        TicketCreated(
            ticket_id=ticket.id,
            equipment_id=ticket.equipment_id,
            source=source,
            severity=severity,
            responsible_org_id=ticket.responsible_org_id,
            coverage_policy_id=ticket.coverage_policy_id,
            response_due_at=response_due,
        ),
        tenant_id=tenant_id,
        subject=f"tickets/{ticket.id}",
    )
    return ticket


async def create_ticket(
    session: AsyncSession, tenant_id: uuid.UUID, body: TicketCreate, created_by: str
) -> Ticket:
    equipment = None
    if body.equipment_id is not None:
        equipment = await repo.get_equipment(session, tenant_id, body.equipment_id)
        if equipment is None:
            raise EquipmentUnknown(f"No equipment {body.equipment_id}")
    elif body.serial_number:
        equipment = await repo.equipment_by_serial(session, tenant_id, body.serial_number)
        if equipment is None:
            raise EquipmentUnknown(f"No equipment with serial number {body.serial_number}")
    return await _open_ticket(
        session,
        tenant_id,
        equipment,
        source="user",
        severity=body.severity,
        subject=body.subject,
        description=body.description,
        reporter={},
        created_by=created_by,
    )


async def create_qr_ticket(
    session: AsyncSession, qr_code: str, body: QrTicketCreate, per_hour: int
) -> Ticket:
    """A ticket from a scanned QR label, no account needed: the code names the equipment
    (and so the tenant); a burst from one label is capped per hour."""
    equipment = await repo.equipment_by_qr(session, qr_code)
    if equipment is None:
        raise EquipmentUnknown("No equipment has this QR code")
    from libs.common.db import set_tenant

    await set_tenant(session, equipment.tenant_id)
    await repo.lock_equipment(session, equipment.id)
    now = datetime.now(UTC)
    count, oldest = await repo.recent_qr_tickets(
        session, equipment.tenant_id, equipment.id, now - timedelta(hours=1)
    )
    if count >= per_hour:
        retry = int(((oldest or now) + timedelta(hours=1) - now).total_seconds()) + 1
        raise QrRateLimited(
            f"This equipment already opened {count} tickets in the last hour",
            headers={"Retry-After": str(max(retry, 1))},
        )
    return await _open_ticket(
        session,
        equipment.tenant_id,
        equipment,
        source="qr",
        severity=body.severity,
        subject=body.subject,
        description=body.description,
        reporter=body.reporter.model_dump(exclude_none=True),
        created_by=None,
    )


async def get_ticket(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> Ticket:
    ticket = await repo.get_ticket(session, tenant_id, id, lock=lock)
    if ticket is None:
        raise TicketNotFound(f"No ticket {id}")
    return ticket


async def list_tickets(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    status: str | None,
    responsible_org_id: uuid.UUID | None,
) -> tuple[list[Ticket], str | None]:
    stmt = repo.tickets_stmt(tenant_id, status, responsible_org_id)
    return await paginate(session, stmt, page, keys=[Ticket.id])


async def list_escalations(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID, page: PageParams
) -> tuple[list[TicketEscalation], str | None]:
    await get_ticket(session, tenant_id, ticket_id)
    stmt = repo.escalations_stmt(tenant_id, ticket_id)
    return await paginate(
        session, stmt, page, keys=[TicketEscalation.level, TicketEscalation.id], descending=False
    )


async def acknowledge(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Ticket:
    ticket = await get_ticket(session, tenant_id, id, lock=True)
    if ticket.status != "open":
        raise InvalidTicketMove(f"A {ticket.status} ticket cannot be acknowledged")
    ticket.status, ticket.acknowledged_at = "acknowledged", datetime.now(UTC)
    await session.flush()
    return ticket


async def resolve_ticket(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Ticket:
    ticket = await get_ticket(session, tenant_id, id, lock=True)
    if ticket.status not in ("open", "acknowledged"):
        raise InvalidTicketMove(f"A {ticket.status} ticket cannot be resolved")
    ticket.status = "resolved"
    await session.flush()
    return ticket


async def assign(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, engineer_id: uuid.UUID
) -> Ticket:
    ticket = await get_ticket(session, tenant_id, id, lock=True)
    engineer = await repo.get_engineer(session, tenant_id, engineer_id)
    if engineer is None:
        raise EngineerNotFound(f"No engineer {engineer_id}")
    if not engineer.available:
        raise EngineerNotEligible(f"{engineer.name} is not available")
    if engineer.org_id != ticket.responsible_org_id:
        raise EngineerNotEligible(
            f"{engineer.name} does not work for the responsible organisation"
            if ticket.responsible_org_id
            else f"{engineer.name} is not in the internal pool"
        )
    if ticket.status not in ("open", "acknowledged"):
        raise InvalidTicketMove(f"A {ticket.status} ticket cannot be assigned")
    ticket.assigned_engineer_id = engineer.id
    await session.flush()
    return ticket
