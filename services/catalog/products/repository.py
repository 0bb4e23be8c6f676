from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Equipment, Offering, Product, Sku


def products_stmt(
    tenant_id: uuid.UUID, manufacturer_org_id: uuid.UUID | None, category: str | None
) -> Select[Product]:
    stmt = select(Product).where(Product.tenant_id == tenant_id)
    if manufacturer_org_id:
        stmt = stmt.where(Product.manufacturer_org_id == manufacturer_org_id)
    if category:
        stmt = stmt.where(Product.category == category)
    return stmt


def skus_stmt(
    tenant_id: uuid.UUID, product_id: uuid.UUID | None, sku_code: str | None
) -> Select[Sku]:
    stmt = select(Sku).where(Sku.tenant_id == tenant_id)
    if product_id:
        stmt = stmt.where(Sku.product_id == product_id)
    if sku_code:
        stmt = stmt.where(Sku.sku_code == sku_code)
    return stmt


def offerings_stmt(tenant_id: uuid.UUID, sku_id: uuid.UUID | None) -> Select[Offering]:
    stmt = select(Offering).where(Offering.tenant_id == tenant_id)
    if sku_id:
        stmt = stmt.where(Offering.sku_id == sku_id)
    return stmt


def equipment_stmt(tenant_id: uuid.UUID, owner_org_id: uuid.UUID | None) -> Select[Equipment]:
    stmt = select(Equipment).where(Equipment.tenant_id == tenant_id)
    if owner_org_id:
        stmt = stmt.where(Equipment.owner_org_id == owner_org_id)
    return stmt


async def get_product(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.id == id)
    )


async def get_sku(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Sku | None:
    return await session.scalar(select(Sku).where(Sku.tenant_id == tenant_id, Sku.id == id))


async def get_skus(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Sku]:
    if not ids:
        return {}
    rows = await session.scalars(select(Sku).where(Sku.tenant_id == tenant_id, Sku.id.in_(ids)))
    return {s.id: s for s in rows}


async def find_sku_code(
    session: AsyncSession, tenant_id: uuid.UUID, manufacturer: uuid.UUID | None, code: str
) -> Sku | None:
    cond = (
        Sku.manufacturer_org_id.is_(None)
        if manufacturer is None
        else Sku.manufacturer_org_id == manufacturer
    )
    return await session.scalar(
        select(Sku).where(Sku.tenant_id == tenant_id, cond, Sku.sku_code == code)
    )


async def find_product_code(
    session: AsyncSession, tenant_id: uuid.UUID, manufacturer: uuid.UUID | None, code: str
) -> Product | None:
    cond = (
        Product.manufacturer_org_id.is_(None)
        if manufacturer is None
        else Product.manufacturer_org_id == manufacturer
    )
    return await session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, cond, Product.code == code)
    )


async def get_offering(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> Offering | None:
    return await session.scalar(
        select(Offering).where(Offering.tenant_id == tenant_id, Offering.id == id)
    )


async def get_equipment(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> Equipment | None:
    return await session.scalar(
        select(Equipment).where(Equipment.tenant_id == tenant_id, Equipment.id == id)
    )


async def find_serial(session: AsyncSession, tenant_id: uuid.UUID, serial: str) -> Equipment | None:
    return await session.scalar(
        select(Equipment).where(Equipment.tenant_id == tenant_id, Equipment.serial_number == serial)
    )
