from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from libs.common.reads import ReadTransaction, columns_of, compile_query
from services.identity.models import Tenant
from services.identity.tenants.schemas import Tenant as TenantOut

_READ = compile_query(select(*columns_of(TenantOut, Tenant)).where(Tenant.id == bindparam("id")))


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def read(tx: ReadTransaction, tenant_id: uuid.UUID) -> dict[str, Any] | None:
    """The tenant as its response model's fields (the hot read: no ORM)."""
    return await tx.fetchrow(_READ, id=tenant_id)


async def get_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.scalars(select(Tenant).where(Tenant.slug == slug))).first()


async def get_by_external_id(session: AsyncSession, external_id: str) -> Tenant | None:
    stmt = select(Tenant).where(Tenant.external_customer_id == external_id)
    return (await session.scalars(stmt)).first()


def children_stmt(parent_id: uuid.UUID, slug: str | None = None) -> Select[Tenant]:
    stmt = select(Tenant).where(Tenant.parent_id == parent_id)
    if slug:
        stmt = stmt.where(Tenant.slug == slug)
    return stmt


async def children_page(
    session: AsyncSession, parent_id: uuid.UUID, slug: str | None, page: PageParams
) -> tuple[list[Tenant], str | None]:
    rows, cursor = await paginate(session, children_stmt(parent_id, slug), page, keys=[Tenant.id])
    return list(rows), cursor


async def lock_registration(session: AsyncSession, external_id: str) -> None:
    """Serialise registrations of one customer so a retry racing the first creates nothing."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"register:{external_id}"}
    )
