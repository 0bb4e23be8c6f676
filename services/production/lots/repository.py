from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.production.models import Lot, LotGateHistory
from services.production.web import is_client


def scoped(principal: Principal) -> Select[Lot]:
    if is_client(principal):
        return select(Lot).where(Lot.customer_tenant_id == principal.tenant_id)
    return select(Lot).where(Lot.tenant_id == principal.tenant_id)


def list_stmt(
    principal: Principal,
    *,
    gate: list[str] | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Select[Lot]:
    stmt = scoped(principal)
    if gate:
        stmt = stmt.where(Lot.gate.in_(gate))
    if plant_id:
        stmt = stmt.where(Lot.plant_id == plant_id)
    if order_id:
        stmt = stmt.where(Lot.order_id == order_id)
    if created_from:
        stmt = stmt.where(Lot.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Lot.created_at < created_to)
    return stmt


async def get(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, *, for_update: bool = False
) -> Lot | None:
    stmt = scoped(principal).where(Lot.id == lot_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def count_for_order(session: AsyncSession, order_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Lot.order_id == order_id)) or 0)


def history_stmt(lot_id: uuid.UUID) -> Select[LotGateHistory]:
    return select(LotGateHistory).where(LotGateHistory.lot_id == lot_id)
