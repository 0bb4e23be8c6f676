"""Who sees which event: one rule for listings, replays and customer-scope webhooks.

A tenant sees its own events. A client tenant (a brand) also sees what its provider made
for it: the event's `customer_tenant_id` is the client AND the event's `tenant_id` is the
client's parent. Both halves, always: a provider cannot push events into another
provider's brand by naming it as customer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from libs.common.auth import Principal, Space
from services.sync.models import Event
from services.sync.models.endpoint import SCOPE_CUSTOMER


def made_for_client(client_id: uuid.UUID, parent_id: uuid.UUID | None) -> ColumnElement[bool]:
    if parent_id is None:
        return false()
    return and_(Event.customer_tenant_id == client_id, Event.tenant_id == parent_id)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    own = Event.tenant_id == principal.tenant_id
    if principal.space == Space.CLIENT:
        return or_(own, made_for_client(principal.tenant_id, principal.parent_tenant_id))
    return own


def endpoint_sees(endpoint: Any) -> ColumnElement[bool]:
    """Events an endpoint may be sent (its scope), as SQL."""
    if endpoint.scope == SCOPE_CUSTOMER:
        return made_for_client(endpoint.tenant_id, endpoint.parent_tenant_id)
    return Event.tenant_id == endpoint.tenant_id


def endpoint_sees_event(endpoint: Any, event: dict[str, Any]) -> bool:
    """The same rule in Python, for the fan-out of freshly ingested events."""
    if endpoint.scope == SCOPE_CUSTOMER:
        return (
            event.get("customer_tenant_id") is not None
            and endpoint.parent_tenant_id is not None
            and endpoint.tenant_id == event["customer_tenant_id"]
            and endpoint.parent_tenant_id == event["tenant_id"]
        )
    return bool(endpoint.tenant_id == event["tenant_id"])
