"""What identity subscribes to; registered with sync at start-up (libs.contracts)."""

from __future__ import annotations

from libs.contracts import Subscription
from libs.contracts.events.catalog import OrganisationLinked

CATALOG_PATH = "/internal/events/catalog"

SUBSCRIPTIONS = [
    Subscription(
        "identity",
        CATALOG_PATH,
        [OrganisationLinked],
        "which catalog organisation a client tenant acts as (org_id / org_type claims)",
    ),
]
