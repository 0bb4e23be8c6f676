from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.quality.models import Product, TenantSettings


async def get_settings(session: AsyncSession, tenant_id: uuid.UUID) -> TenantSettings | None:
    return await session.get(TenantSettings, tenant_id)


async def get_product(session: AsyncSession, tenant_id: uuid.UUID, sku: str) -> Product | None:
    return (
        await session.scalars(
            select(Product).where(Product.tenant_id == tenant_id, Product.sku == sku)
        )
    ).one_or_none()


async def get_product_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> Product | None:
    return (
        await session.scalars(
            select(Product).where(Product.tenant_id == tenant_id, Product.id == product_id)
        )
    ).one_or_none()


async def ensure_product(session: AsyncSession, tenant_id: uuid.UUID, sku: str) -> None:
    await session.execute(
        insert(Product)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, sku=sku)
        .on_conflict_do_nothing(index_elements=["tenant_id", "sku"])
    )


def products_query(tenant_id: uuid.UUID, sku: str | None) -> Select[Any]:
    stmt = select(Product).where(Product.tenant_id == tenant_id)
    if sku:
        stmt = stmt.where(Product.sku == sku)
    return stmt
