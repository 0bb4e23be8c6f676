from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Partner


def query(principal: Principal) -> Select[Any]:
    return select(Partner).where(visible(principal, Partner.tenant_id, Partner.customer_tenant_id))


async def get(session: AsyncSession, principal: Principal, partner_id: uuid.UUID) -> Partner | None:
    return (await session.scalars(query(principal).where(Partner.id == partner_id))).one_or_none()


async def by_tenant(
    session: AsyncSession, owner_tenant_id: uuid.UUID, partner_tenant_id: uuid.UUID
) -> Partner | None:
    return (
        await session.scalars(
            select(Partner).where(
                Partner.tenant_id == owner_tenant_id,
                Partner.customer_tenant_id == partner_tenant_id,
            )
        )
    ).one_or_none()
