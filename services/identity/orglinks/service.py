"""The catalog organisation a client tenant acts as, learned from catalog's
`catalog.organisation.linked` events (identity never reads catalog's schema). Tokens of the
tenant's users carry it as `org_id` / `org_type` (ARCHITECTURE.md section 3)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.contracts import EventEnvelope, EventModel
from libs.contracts.events.catalog import OrganisationLinked
from services.identity.models import CatalogOrgLink
from services.identity.orglinks import repository as repo
from services.identity.tenants import repository as tenants_repo


async def record_event(db: Database, event: EventEnvelope[EventModel]) -> bool:
    """Keep the link an event describes; False when it is ignored: not a client tenant of
    the event's tenant, or older than what is kept, or unlinking another organisation."""
    data = event.data
    if not isinstance(data, OrganisationLinked):
        return False
    # a system transaction: the event is about a tenant, not made by one
    async with db.transaction(None, system=True) as session:
        tenant = await tenants_repo.get(session, data.client_tenant_id)
        if tenant is None or tenant.kind != "client" or tenant.parent_id != event.tenant_id:
            return False
        row = await repo.get(session, tenant.id)
        if row is not None and row.changed_at > data.changed_at:
            return False
        if not data.linked:
            if row is None or row.org_id != data.org_id:
                return False
            row.active, row.changed_at = False, data.changed_at
            return True
        if row is None:
            session.add(
                CatalogOrgLink(
                    tenant_id=tenant.id,
                    provider_tenant_id=event.tenant_id,
                    org_id=data.org_id,
                    org_type=data.org_type,
                    active=True,
                    changed_at=data.changed_at,
                )
            )
        else:
            row.provider_tenant_id, row.org_id, row.org_type = (
                event.tenant_id,
                data.org_id,
                data.org_type,
            )
            row.active, row.changed_at = True, data.changed_at
    return True


async def org_claims(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """(org_id, org_type) for the tokens of a client tenant, or None."""
    return await repo.active_org(session, tenant_id)
