from __future__ import annotations

import uuid

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.production.models import BomLine, InventoryItem, ProcessStage, Product, ProductVersion


async def list_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    sku: str | None = None,
    category: str | None = None,
) -> tuple[list[Product], str | None]:
    return await paginate(
        session, list_stmt(tenant_id, sku=sku, category=category), page, keys=[Product.id]
    )


def list_stmt(
    tenant_id: uuid.UUID, *, sku: str | None = None, category: str | None = None
) -> Select[Product]:
    stmt = select(Product).where(Product.tenant_id == tenant_id)
    if sku:
        stmt = stmt.where(Product.sku == sku)
    if category:
        stmt = stmt.where(Product.category == category)
    return stmt


async def get(session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.id == product_id)
    )


async def existing_products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    rows = await session.scalars(
        select(Product.id).where(Product.tenant_id == tenant_id, Product.id.in_(ids))
    )
    return set(rows)


async def item_skus(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(InventoryItem.id, InventoryItem.sku).where(
            InventoryItem.tenant_id == tenant_id, InventoryItem.id.in_(ids)
        )
    )
    return {r.id: r.sku for r in rows}


async def versions(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: list[uuid.UUID]
) -> list[ProductVersion]:
    if not product_ids:
        return []
    rows = await session.scalars(
        select(ProductVersion)
        .where(ProductVersion.tenant_id == tenant_id, ProductVersion.product_id.in_(product_ids))
        .order_by(ProductVersion.product_id, ProductVersion.number)
    )
    return list(rows)


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, version_id: uuid.UUID
) -> ProductVersion | None:
    return await session.scalar(
        select(ProductVersion).where(
            ProductVersion.tenant_id == tenant_id,
            ProductVersion.product_id == product_id,
            ProductVersion.id == version_id,
        )
    )


async def latest_version(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, *, released: bool = False
) -> ProductVersion | None:
    stmt = select(ProductVersion).where(
        ProductVersion.tenant_id == tenant_id, ProductVersion.product_id == product_id
    )
    if released:
        stmt = stmt.where(ProductVersion.status == "released")
    return await session.scalar(stmt.order_by(ProductVersion.number.desc()).limit(1))


async def next_number(session: AsyncSession, product_id: uuid.UUID) -> int:
    n = await session.scalar(
        select(func.coalesce(func.max(ProductVersion.number), 0)).where(
            ProductVersion.product_id == product_id
        )
    )
    return int(n or 0) + 1


async def lines_of(session: AsyncSession, version_id: uuid.UUID) -> list[BomLine]:
    rows = await session.scalars(
        select(BomLine).where(BomLine.product_version_id == version_id).order_by(BomLine.line_no)
    )
    return list(rows)


async def stages_of(session: AsyncSession, version_id: uuid.UUID) -> list[ProcessStage]:
    rows = await session.scalars(
        select(ProcessStage)
        .where(ProcessStage.product_version_id == version_id)
        .order_by(ProcessStage.seq)
    )
    return list(rows)


async def clear_lines(session: AsyncSession, version_id: uuid.UUID) -> None:
    await session.execute(delete(BomLine).where(BomLine.product_version_id == version_id))


async def clear_stages(session: AsyncSession, version_id: uuid.UUID) -> None:
    await session.execute(delete(ProcessStage).where(ProcessStage.product_version_id == version_id))
