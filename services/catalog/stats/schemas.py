from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class CountBy(BaseModel):
    key: str | None
    count: int


class TicketStats(BaseModel):
    """Tickets for a dashboard. `scope` says which tickets count: an org's by its type
    (manufacturer: equipment it made; hospital: equipment it owns; distributor: its own and
    its dealers'; others: those it is responsible for), or every ticket of the tenant."""

    org_id: uuid.UUID | None
    org_type: str | None
    scope: str
    total: int
    backlog: int = Field(description="open or acknowledged")
    resolved: int
    breached: int
    escalated: int
    sla_pct: float | None = Field(
        description="Share of tickets that never escalated nor breached (percent)"
    )
    by_severity: list[CountBy]
    by_status: list[CountBy]
    by_responsible_org: list[CountBy]


class CatalogStats(BaseModel):
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    published_catalogs: int
    published_items: int
    active_skus: int
    coverage_pct: float | None = Field(description="Listed SKUs over the tenant's active SKUs")
    by_path: list[CountBy]
