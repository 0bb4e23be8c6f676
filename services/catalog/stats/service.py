"""Dashboard figures by organisation type (seed 003 section 8), global when no org."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.channels import repository as channel_repo
from services.catalog.channels.listings import listings
from services.catalog.channels.service import get_channel
from services.catalog.models import Ticket
from services.catalog.orgs import repository as org_repo
from services.catalog.orgs.service import get_org
from services.catalog.stats import repository as repo
from services.catalog.stats.schemas import CatalogStats, CountBy, TicketStats


async def ticket_stats(
    session: AsyncSession, tenant_id: uuid.UUID, org_id: uuid.UUID | None
) -> TicketStats:
    org = await get_org(session, tenant_id, org_id) if org_id else None
    if org is None:
        scope, conds = "every ticket of the tenant", repo.ticket_filter(tenant_id)
    elif org.type == "manufacturer":
        scope = "tickets on equipment it made"
        conds = repo.ticket_filter(tenant_id, manufacturer=org.id)
    elif org.type == "hospital":
        scope = "tickets on equipment it owns"
        conds = repo.ticket_filter(tenant_id, owner=org.id)
    elif org.type == "distributor":
        edges = await org_repo.active_edges(session, tenant_id, datetime.now(UTC))
        dealers = {
            e.child_org_id
            for e in edges
            if e.relation_type == "dealer_of" and e.parent_org_id == org.id
        }
        scope = "tickets it or its dealers are responsible for"
        conds = repo.ticket_filter(tenant_id, responsible=[org.id, *dealers])
    else:
        scope = "tickets it is responsible for"
        conds = repo.ticket_filter(tenant_id, responsible=[org.id])
    counts = await repo.ticket_counts(session, conds)

    async def by(column: Any) -> list[CountBy]:
        rows = await repo.ticket_groups(session, conds, column)
        return [CountBy(key=str(k) if k is not None else None, count=n) for k, n in rows]

    return TicketStats(
        org_id=org.id if org else None,
        org_type=org.type if org else None,
        scope=scope,
        total=counts["total"],
        backlog=counts["backlog"],
        resolved=counts["resolved"],
        breached=counts["breached"],
        escalated=counts["escalated"],
        sla_pct=round(100 * counts["met"] / counts["total"], 2) if counts["total"] else None,
        by_severity=await by(Ticket.severity),
        by_status=await by(Ticket.status),
        by_responsible_org=await by(Ticket.responsible_org_id),
    )


async def catalog_stats(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
) -> CatalogStats:
    org = await get_org(session, tenant_id, org_id) if org_id else None
    if channel_id is not None:
        await get_channel(session, tenant_id, channel_id)  # 404 when not the tenant's
    if org is None:
        # every published catalog of the tenant counts, whoever its audience
        published = await channel_repo.published_all(session, tenant_id, channel_id)
        items = {
            (i["sku_id"], i.get("offering_id"))
            for _, v in published
            for i in v.items
            if i.get("status", "listed") == "listed"
        }
        paths: Counter[str] = Counter()
    else:
        published = await channel_repo.published_for(session, tenant_id, org.id, channel_id)
        listed = await listings(session, tenant_id, org, channel_id)
        items = {(str(x.sku_id), str(x.offering_id) if x.offering_id else None) for x in listed}
        paths = Counter(x.via.path for x in listed)
    skus = await repo.active_skus(session, tenant_id)
    distinct_skus = len({sku for sku, _ in items})
    return CatalogStats(
        org_id=org.id if org else None,
        channel_id=channel_id,
        published_catalogs=len(published),
        published_items=len(items),
        active_skus=skus,
        coverage_pct=round(100 * distinct_skus / skus, 2) if skus else None,
        by_path=[CountBy(key=k, count=n) for k, n in sorted(paths.items())],
    )
