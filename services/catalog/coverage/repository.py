from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Engineer, Equipment, ServicePolicy, Ticket, TicketEscalation


async def enabled_policies(session: AsyncSession, tenant_id: uuid.UUID) -> list[ServicePolicy]:
    rows = await session.scalars(
        select(ServicePolicy).where(
            ServicePolicy.tenant_id == tenant_id, ServicePolicy.enabled.is_(True)
        )
    )
    return list(rows)


def policies_stmt(tenant_id: uuid.UUID) -> Select[ServicePolicy]:
    return select(ServicePolicy).where(ServicePolicy.tenant_id == tenant_id)


async def find_policy(
    session: AsyncSession, tenant_id: uuid.UUID, scope: str, org_id: uuid.UUID | None
) -> ServicePolicy | None:
    return await session.scalar(
        select(ServicePolicy).where(
            ServicePolicy.tenant_id == tenant_id,
            ServicePolicy.scope == scope,
            ServicePolicy.org_id.is_(None) if org_id is None else ServicePolicy.org_id == org_id,
        )
    )


async def get_policy(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> ServicePolicy | None:
    return await session.scalar(
        select(ServicePolicy).where(ServicePolicy.tenant_id == tenant_id, ServicePolicy.id == id)
    )


def engineers_stmt(tenant_id: uuid.UUID, org_id: uuid.UUID | None) -> Select[Engineer]:
    stmt = select(Engineer).where(Engineer.tenant_id == tenant_id)
    return stmt.where(Engineer.org_id == org_id) if org_id else stmt


async def get_engineer(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> Engineer | None:
    return await session.scalar(
        select(Engineer).where(Engineer.tenant_id == tenant_id, Engineer.id == id)
    )


async def available_engineers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    region: str | None,
    skills: list[str] | None = None,
    limit: int = 200,
) -> list[Engineer]:
    """Available engineers of `org_id` (None: the internal pool) whose coverage holds the
    region (a region covers its subdivisions) and who have every skill asked for."""
    stmt = select(Engineer).where(
        Engineer.tenant_id == tenant_id,
        Engineer.available.is_(True),
        Engineer.org_id.is_(None) if org_id is None else Engineer.org_id == org_id,
    )
    if region:
        country = region.split("-")[0]
        stmt = stmt.where(
            or_(
                Engineer.regions.any(region),  # type: ignore[arg-type]
                Engineer.regions.any(country),  # type: ignore[arg-type]
                func.cardinality(Engineer.regions) == 0,
            )
        )
    if skills:
        stmt = stmt.where(Engineer.skills.contains(skills))
    # exact region first, then country-wide, then engineers who go anywhere
    rows = await session.scalars(stmt.order_by(Engineer.name, Engineer.id).limit(limit))
    out = list(rows)
    if region:
        out.sort(key=lambda e: (region not in e.regions, not e.regions))
    return out


async def get_equipment(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> Equipment | None:
    return await session.scalar(
        select(Equipment).where(Equipment.tenant_id == tenant_id, Equipment.id == id)
    )


async def equipment_by_serial(
    session: AsyncSession, tenant_id: uuid.UUID, serial: str
) -> Equipment | None:
    return await session.scalar(
        select(Equipment).where(Equipment.tenant_id == tenant_id, Equipment.serial_number == serial)
    )


async def equipment_by_qr(session: AsyncSession, qr_code: str) -> Equipment | None:
    """Before any tenant is known: the `qr_scan` policy shows only the scanned row."""
    await session.execute(text("SELECT set_config('weft.qr_code', :code, true)"), {"code": qr_code})
    return await session.scalar(select(Equipment).where(Equipment.qr_code == qr_code))


async def recent_qr_tickets(
    session: AsyncSession, tenant_id: uuid.UUID, equipment_id: uuid.UUID, since: datetime
) -> tuple[int, datetime | None]:
    row = (
        await session.execute(
            select(func.count(), func.min(Ticket.created_at)).where(
                Ticket.tenant_id == tenant_id,
                Ticket.equipment_id == equipment_id,
                Ticket.source == "qr",
                Ticket.created_at > since,
            )
        )
    ).one()
    return int(row[0]), row[1]


async def lock_equipment(session: AsyncSession, equipment_id: uuid.UUID) -> None:
    """Serialise QR tickets of one equipment, so the hourly cap holds under bursts."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('catalog.qr:' || :e))"),
        {"e": str(equipment_id)},
    )


def tickets_stmt(
    tenant_id: uuid.UUID, status: str | None, responsible_org_id: uuid.UUID | None
) -> Select[Ticket]:
    stmt = select(Ticket).where(Ticket.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Ticket.status == status)
    if responsible_org_id:
        stmt = stmt.where(Ticket.responsible_org_id == responsible_org_id)
    return stmt


async def get_ticket(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.id == id)
    return await session.scalar(stmt.with_for_update() if lock else stmt)


def escalations_stmt(tenant_id: uuid.UUID, ticket_id: uuid.UUID) -> Select[TicketEscalation]:
    return select(TicketEscalation).where(
        TicketEscalation.tenant_id == tenant_id, TicketEscalation.ticket_id == ticket_id
    )


async def overdue(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, ticket) of open tickets past a target, across tenants (a system sweep)."""
    rows = await session.execute(
        select(Ticket.tenant_id, Ticket.id)
        .where(
            Ticket.status.in_(("open", "acknowledged")),
            Ticket.breached.is_(False),
            or_(Ticket.response_due_at <= now, Ticket.resolve_due_at <= now),
        )
        .order_by(Ticket.response_due_at)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows]
