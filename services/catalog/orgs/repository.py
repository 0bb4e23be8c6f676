from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Organisation, OrgRelationship

HIERARCHY = ("distributor_of", "dealer_of", "supplier_of")


def list_stmt(
    tenant_id: uuid.UUID, *, type: str | None = None, status: str | None = None
) -> Select[Organisation]:
    stmt = select(Organisation).where(Organisation.tenant_id == tenant_id)
    if type:
        stmt = stmt.where(Organisation.type == type)
    if status:
        stmt = stmt.where(Organisation.status == status)
    return stmt


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, org_id: uuid.UUID
) -> Organisation | None:
    return await session.scalar(
        select(Organisation).where(Organisation.tenant_id == tenant_id, Organisation.id == org_id)
    )


async def get_many(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Organisation]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Organisation).where(Organisation.tenant_id == tenant_id, Organisation.id.in_(ids))
    )
    return {o.id: o for o in rows}


def _overlaps(start: datetime, end: datetime | None):  # type: ignore[no-untyped-def]
    return func.tstzrange(OrgRelationship.active_from, OrgRelationship.active_to, "[)").op("&&")(
        func.tstzrange(start, end, "[)")
    )


def relationships_stmt(
    tenant_id: uuid.UUID, org_id: uuid.UUID, direction: str | None
) -> Select[OrgRelationship]:
    stmt = select(OrgRelationship).where(OrgRelationship.tenant_id == tenant_id)
    if direction == "parents":
        return stmt.where(OrgRelationship.child_org_id == org_id)
    if direction == "children":
        return stmt.where(OrgRelationship.parent_org_id == org_id)
    return stmt.where(
        or_(OrgRelationship.child_org_id == org_id, OrgRelationship.parent_org_id == org_id)
    )


async def lock_relationships(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise relationship writes of one tenant, so two writers cannot close a cycle."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('catalog.relationships:' || :t))"),
        {"t": str(tenant_id)},
    )


async def find_overlapping(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    parent: uuid.UUID,
    child: uuid.UUID,
    relation_type: str,
    start: datetime,
    end: datetime | None,
) -> OrgRelationship | None:
    return await session.scalar(
        select(OrgRelationship)
        .where(
            OrgRelationship.tenant_id == tenant_id,
            OrgRelationship.parent_org_id == parent,
            OrgRelationship.child_org_id == child,
            OrgRelationship.relation_type == relation_type,
            _overlaps(start, end),
        )
        .limit(1)
    )


async def ancestors(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID,
    start: datetime,
    end: datetime | None,
) -> set[uuid.UUID]:
    """Every org above `org_id` through hierarchical relationships active in the window."""
    base = (
        select(OrgRelationship.parent_org_id.label("org"))
        .where(
            OrgRelationship.tenant_id == tenant_id,
            OrgRelationship.child_org_id == org_id,
            OrgRelationship.relation_type.in_(HIERARCHY),
            _overlaps(start, end),
        )
        .cte("up", recursive=True)
    )
    step = select(OrgRelationship.parent_org_id).where(
        OrgRelationship.tenant_id == tenant_id,
        OrgRelationship.child_org_id == base.c.org,
        OrgRelationship.relation_type.in_(HIERARCHY),
        _overlaps(start, end),
    )
    up = base.union(step)
    return set((await session.scalars(select(up.c.org))).all())


async def active_edges(
    session: AsyncSession, tenant_id: uuid.UUID, at: datetime
) -> list[OrgRelationship]:
    """The relationships in force at `at` (a tenant's network is small: hundreds of edges)."""
    rows = await session.scalars(
        select(OrgRelationship).where(
            OrgRelationship.tenant_id == tenant_id,
            OrgRelationship.active_from <= at,
            or_(OrgRelationship.active_to.is_(None), OrgRelationship.active_to > at),
        )
    )
    return list(rows)


async def by_client_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, client_tenant_id: uuid.UUID
) -> Organisation | None:
    return await session.scalar(
        select(Organisation).where(
            Organisation.tenant_id == tenant_id, Organisation.client_tenant_id == client_tenant_id
        )
    )
