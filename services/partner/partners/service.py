"""Partner organisations: client tenants of the owner, registered here by the owner."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import flush_or_conflict
from libs.common.errors import NotFound, ResourceConflict
from libs.common.identity import ClientTenants
from libs.common.pagination import PageParams, paginate
from services.partner.access import Caller
from services.partner.models import Partner
from services.partner.partners import repository as repo
from services.partner.partners.schemas import PartnerCreate


class PartnerNotFound(NotFound):
    code = "partner_not_found"
    title = "Partner not found"


class PartnerExists(ResourceConflict):
    code = "partner_exists"
    title = "This tenant is already registered as a partner"


async def create_partner(
    session: AsyncSession, caller: Caller, data: PartnerCreate, tenants: ClientTenants
) -> Partner:
    await tenants.require(data.tenant_id)
    client_tenant_id = data.tenant_id
    partner = Partner(
        tenant_id=caller.owner_tenant_id,
        customer_tenant_id=client_tenant_id,
        name=data.name,
        category=data.category,
        contact_email=str(data.contact_email) if data.contact_email else None,
        status="active",
        created_by=caller.subject,
    )
    session.add(partner)
    await flush_or_conflict(
        session,
        {
            "uq_partners_tenant_id_customer_tenant_id": PartnerExists(
                extra={"tenant_id": str(client_tenant_id)}
            )
        },
    )
    return partner


async def list_partners(
    session: AsyncSession, caller: Caller, page: PageParams
) -> tuple[list[Any], str | None]:
    return await paginate(session, repo.query(caller.principal), page, keys=[Partner.id])


async def get_partner(session: AsyncSession, caller: Caller, partner_id: uuid.UUID) -> Partner:
    found = await repo.get(session, caller.principal, partner_id)
    if found is None:
        raise PartnerNotFound(f"Partner {partner_id} not found")
    return found
