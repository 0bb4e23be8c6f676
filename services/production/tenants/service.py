"""Production's view of the tenant tree: which client tenants a provider has.

Learned from identity's `identity.tenant.*` events; on a miss (the event may not have
arrived yet, e.g. right after the brand was made) identity is asked with the caller's own
token and the answer is kept.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import Database
from libs.common.errors import Unprocessable
from libs.common.identity import IdentityClient
from libs.contracts import EventEnvelope, EventModel
from libs.contracts.events.identity import TenantCreated, TenantUpdated
from services.production.models import TenantCopy
from services.production.tenants import repository as repo
from services.production.tenants.schemas import TenantEventData


class UnknownCustomer(Unprocessable):
    code = "unknown_customer"
    title = "Unknown customer"


def _row(data: TenantEventData) -> dict[str, Any]:
    return {
        "id": data.id,
        "parent_id": data.parent_id,
        "kind": data.kind,
        "name": data.name,
        "slug": data.slug,
        "status": data.status,
        "source_version": data.version,
        "updated_at": datetime.now(UTC),
    }


async def record_event(db: Database, event: EventEnvelope[EventModel]) -> bool:
    """Keep the copy of the tenant an identity event describes (a system transaction: the
    event is about a tenant, not made by one)."""
    if not isinstance(event.data, TenantCreated | TenantUpdated):
        return False
    data = TenantEventData.model_validate(event.data.model_dump())
    async with db.transaction(None, system=True) as session:
        await repo.upsert(session, _row(data))
    return True


async def client_of(
    session: AsyncSession,
    principal: Principal,
    customer_id: uuid.UUID,
    *,
    identity: IdentityClient,
    token: str,
) -> TenantCopy:
    """The client tenant `customer_id` of the principal's tenant, or 422 unknown_customer."""
    row = await repo.get(session, customer_id)
    if row is None:
        answer = await identity.get_tenant(customer_id, token)
        if answer is not None:
            try:
                data = TenantEventData.model_validate(answer)
            except ValidationError:
                data = None
            if data is not None and data.parent_id == principal.tenant_id:
                await repo.upsert(session, _row(data))
                row = await repo.get(session, customer_id)
    if (
        row is None
        or row.parent_id != principal.tenant_id
        or row.kind != "client"
        or row.status != "active"
    ):
        raise UnknownCustomer(
            "customer_tenant_id must name an active client tenant of yours",
            extra={"customer_tenant_id": str(customer_id)},
        )
    return row
