"""What production subscribes to; registered with sync at start-up (libs.contracts)."""

from __future__ import annotations

from libs.contracts import Subscription
from libs.contracts.events.identity import TenantCreated, TenantUpdated

TENANTS_PATH = "/internal/events/identity"

SUBSCRIPTIONS = [
    # the tenant tree: which client tenants each provider has (customer_tenant_id checks)
    Subscription(
        "production",
        TENANTS_PATH,
        [TenantCreated, TenantUpdated],
        "a copy of identity's tenant tree",
    ),
]
