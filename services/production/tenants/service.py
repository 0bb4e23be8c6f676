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
from libs.common.errors import Unprocessable
from services.production.identity import IdentityClient
from services.production.models import TenantCopy
from services.production.tenants import repository as repo
from services.production.tenants.schemas import EventEnvelope, TenantEventData

TENANT_EVENTS = frozenset({"identity.tenant.created", "identity.tenant.updated"})


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


async def apply_event(session: AsyncSession, event: EventEnvelope) -> bool:
    """Keep the copy of the tenant an identity event describes (a system session)."""
    if event.type not in TENANT_EVENTS:
        return False
    try:
        data = TenantEventData.model_validate(event.data)
    except ValidationError:
        raise Unprocessable("The tenant event is not valid", code="invalid_event") from None
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
