"""Events catalog emits: publications, price book changes, service tickets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from libs.contracts.base import EventModel


class CatalogPublished(EventModel):
    event_type: ClassVar[str] = "catalog.published"
    description: ClassVar[str] = (
        "A channel catalog got a new immutable version (subject "
        "`catalogs/{catalog_id}/versions/{version}`): a publication or a rollback."
    )

    catalog_id: uuid.UUID
    channel_id: uuid.UUID
    org_id: uuid.UUID | None = Field(description="The audience (null: every organisation)")
    publisher_org_id: uuid.UUID | None = Field(description="Who published (null: the tenant)")
    version: int
    action: str = Field(description="publish or rollback")
    source_version: int | None = Field(description="For a rollback, the version it restores")
    item_count: int
    published_by: str
    published_at: datetime


class PriceBookUpdated(EventModel):
    event_type: ClassVar[str] = "catalog.price_book.updated"
    description: ClassVar[str] = (
        "A price book or its rules changed (subject `price-books/{price_book_id}`); "
        "`version` is the book's new version."
    )

    price_book_id: uuid.UUID
    scope_type: str
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    currency: str
    version: int
    change: str = Field(
        description="created, updated, rule_added, rule_deleted or rules_replaced (an import)"
    )


class TicketCreated(EventModel):
    event_type: ClassVar[str] = "catalog.ticket.created"
    description: ClassVar[str] = (
        "A service ticket was opened, from a QR scan or by a user (subject `tickets/{ticket_id}`)."
    )

    ticket_id: uuid.UUID
    equipment_id: uuid.UUID | None
    source: str = Field(description="qr or user")
    severity: str
    responsible_org_id: uuid.UUID | None = Field(
        description="Chosen by the service policy (null: no policy applies)"
    )
    coverage_policy_id: uuid.UUID | None
    response_due_at: datetime | None


class TicketEscalated(EventModel):
    event_type: ClassVar[str] = "catalog.ticket.escalated"
    description: ClassVar[str] = (
        "A ticket's SLA target passed and it moved up its escalation path "
        "(subject `tickets/{ticket_id}`); `to_org_id` null: no further level, breached."
    )

    ticket_id: uuid.UUID
    level: int
    from_org_id: uuid.UUID | None
    to_org_id: uuid.UUID | None
    reason: str
    response_due_at: datetime | None


class OrganisationLinked(EventModel):
    event_type: ClassVar[str] = "catalog.organisation.linked"
    description: ClassVar[str] = (
        "An organisation was linked to a client tenant, or unlinked, or its type or status "
        "changed while linked (subject `orgs/{org_id}`; `customer_tenant_id` is the client "
        "tenant). Identity keeps the link and puts `org_id`/`org_type` in that tenant's tokens."
    )

    org_id: uuid.UUID
    org_type: str = Field(description="manufacturer, distributor, dealer, ...")
    client_tenant_id: uuid.UUID
    linked: bool = Field(
        description="true: the client tenant acts as this organisation (it is active); "
        "false: it no longer does"
    )
    changed_at: datetime = Field(
        description="When catalog made the change; a receiver ignores an older one than it has"
    )
