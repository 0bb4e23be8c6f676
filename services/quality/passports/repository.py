from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from services.quality.access import visible
from services.quality.models import Inspection, Lot, OrderMaterials, Passport

READ = "passports:read"


def list_query(principal: Principal, lot_id: uuid.UUID | None) -> Select[Any]:
    stmt = select(Passport).where(
        visible_passport(principal), Passport.status.in_(("published", "superseded"))
    )
    if lot_id:
        stmt = stmt.where(Passport.lot_id == lot_id)
    return stmt


def visible_passport(principal: Principal) -> Any:
    # passports carry no plant: provider readers see their tenant's, brands their own
    if principal.space == Space.CLIENT:
        if principal.parent_tenant_id is None or not principal.has_permission(READ):
            return false()
        return and_(
            Passport.customer_tenant_id == principal.tenant_id,
            Passport.tenant_id == principal.parent_tenant_id,
        )
    return Passport.tenant_id == principal.tenant_id


async def current(session: AsyncSession, lot_id: uuid.UUID) -> Passport | None:
    return (
        await session.scalars(
            select(Passport)
            .where(Passport.lot_id == lot_id, Passport.status == "published")
            .with_for_update()
        )
    ).one_or_none()


async def latest_version(session: AsyncSession, lot_id: uuid.UUID) -> int:
    rows = await session.scalars(select(Passport.version).where(Passport.lot_id == lot_id))
    return max(rows.all(), default=0)


async def public_by_id(session: AsyncSession, passport_id: uuid.UUID) -> Passport | None:
    # no tenant filter on purpose: this session has no tenant, and the row-level policy
    # shows it published rows only
    return (await session.scalars(select(Passport).where(Passport.id == passport_id))).one_or_none()


async def public_by_link(session: AsyncSession, gtin: str, lot_number: str) -> Passport | None:
    return (
        await session.scalars(
            select(Passport)
            .where(
                Passport.gtin == gtin,
                Passport.lot_number == lot_number,
                Passport.status == "published",
            )
            .order_by(Passport.published_at.desc())
            .limit(1)
        )
    ).one_or_none()


async def lot(session: AsyncSession, principal: Principal, lot_id: uuid.UUID) -> Lot | None:
    return (
        await session.scalars(
            select(Lot).where(Lot.id == lot_id, visible(Lot, principal, "passports:write"))
        )
    ).one_or_none()


async def lots_for(
    session: AsyncSession,
    principal: Principal,
    product_sku: str | None,
    customer: uuid.UUID | None,
    limit: int,
) -> list[Lot]:
    stmt = select(Lot).where(visible(Lot, principal, "passports:write"))
    if product_sku:
        stmt = stmt.where(Lot.product_sku == product_sku)
    if customer:
        stmt = stmt.where(Lot.customer_tenant_id == customer)
    return list((await session.scalars(stmt.order_by(Lot.id.desc()).limit(limit))).all())


async def is_customer(session: AsyncSession, principal: Principal, customer: uuid.UUID) -> bool:
    """Whether a lot of the caller's tenant is made for `customer` (a client of the tenant)."""
    stmt = select(Lot.id).where(
        Lot.tenant_id == principal.tenant_id, Lot.customer_tenant_id == customer
    )
    return (await session.scalars(stmt.limit(1))).first() is not None


async def last_completed(session: AsyncSession, lot_id: uuid.UUID) -> Inspection | None:
    return (
        await session.scalars(
            select(Inspection)
            .where(Inspection.lot_id == lot_id, Inspection.status == "completed")
            .order_by(Inspection.round.desc())
            .limit(1)
        )
    ).one_or_none()


async def order_materials(
    session: AsyncSession, tenant_id: uuid.UUID, order_id: uuid.UUID
) -> OrderMaterials | None:
    return (
        await session.scalars(
            select(OrderMaterials).where(
                OrderMaterials.tenant_id == tenant_id, OrderMaterials.order_id == order_id
            )
        )
    ).one_or_none()
