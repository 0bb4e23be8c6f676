from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, String, Uuid, any_, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.pagination import PageParams, paginate, read_page
from libs.common.reads import Compiled, ReadTransaction, columns_of, compile_query
from libs.common.visibility import is_customer, visibility_values, visible, visible_bound
from services.production.lots.schemas import Lot as LotOut
from services.production.models import Lot, LotGateHistory, LotInspection, Order, ProductVersion


def readable(principal: Principal) -> Select[Lot]:
    return select(Lot).where(visible(principal, Lot.tenant_id, Lot.customer_tenant_id))


@cache
def _page_query(
    customer: bool,
    after: bool,
    plants: bool,
    gate: bool,
    plant_id: bool,
    order_id: bool,
    created_from: bool,
    created_to: bool,
) -> Compiled:
    stmt = select(*columns_of(LotOut, Lot)).where(
        visible_bound(customer, Lot.tenant_id, Lot.customer_tenant_id)
    )
    if after:
        stmt = stmt.where(Lot.id < bindparam("after"))
    if plants:
        stmt = stmt.where(Lot.plant_id == any_(bindparam("plants", type_=ARRAY(Uuid))))
    if gate:
        stmt = stmt.where(Lot.gate == any_(bindparam("gate", type_=ARRAY(String))))
    if plant_id:
        stmt = stmt.where(Lot.plant_id == bindparam("plant_id"))
    if order_id:
        stmt = stmt.where(Lot.order_id == bindparam("order_id"))
    if created_from:
        stmt = stmt.where(Lot.created_at >= bindparam("created_from"))
    if created_to:
        stmt = stmt.where(Lot.created_at < bindparam("created_to"))
    return compile_query(stmt.order_by(Lot.id.desc()).limit(bindparam("limit")))


async def list_page(
    tx: ReadTransaction,
    principal: Principal,
    page: PageParams,
    *,
    plants: Collection[uuid.UUID] | None = None,
    gate: list[str] | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the lots the principal may read, newest first, as the response's fields."""
    tenants = visibility_values(principal)
    if tenants is None:
        return [], None
    values: dict[str, Any] = dict(tenants)
    filters: dict[str, Any] = {
        "plants": list(plants) if plants is not None else None,
        "gate": gate or None,
        "plant_id": plant_id,
        "order_id": order_id,
        "created_from": created_from,
        "created_to": created_to,
    }
    values.update((k, v) for k, v in filters.items() if v is not None)
    customer = is_customer(principal)
    shape = [v is not None for v in filters.values()]
    return await read_page(tx, lambda after: _page_query(customer, after, *shape), page, values)


async def get(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, *, for_update: bool = False
) -> Lot | None:
    stmt = readable(principal).where(Lot.id == lot_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def count_for_order(session: AsyncSession, order_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Lot.order_id == order_id)) or 0)


async def quantity_for_order(session: AsyncSession, order_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Lot.quantity), 0)).where(Lot.order_id == order_id)
    )
    return int(total or 0)


async def history_page(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, page: PageParams
) -> tuple[list[LotGateHistory], str | None]:
    stmt = select(LotGateHistory).where(
        LotGateHistory.lot_id == lot_id,
        visible(principal, LotGateHistory.tenant_id, LotGateHistory.customer_tenant_id),
    )
    return await paginate(session, stmt, page, keys=[LotGateHistory.id], descending=False)


async def get_of_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, lot_id: uuid.UUID
) -> Lot | None:
    """The tenant's lot, locked (an event's handler: no principal, the event's tenant)."""
    stmt = (
        select(Lot)
        .where(Lot.id == lot_id, Lot.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def record_inspection(session: AsyncSession, values: dict[str, object]) -> bool:
    """Keep a received inspection verdict once; False when this inspection was seen."""
    inserted = (
        await session.execute(
            insert(LotInspection)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["inspection_id"])
            .returning(LotInspection.id)
        )
    ).first()
    return inserted is not None


async def has_passed_inspection(
    session: AsyncSession, tenant_id: uuid.UUID, lot_id: uuid.UUID, round_: int
) -> bool:
    stmt = select(
        exists().where(
            LotInspection.tenant_id == tenant_id,
            LotInspection.lot_id == lot_id,
            LotInspection.round == round_,
            LotInspection.verdict == "passed",
        )
    )
    return bool(await session.scalar(stmt))


async def order_version(
    session: AsyncSession, order_id: uuid.UUID
) -> tuple[uuid.UUID | None, int | None]:
    """(product version id, its number) the lot's order is made to (for the lot events)."""
    row = (
        await session.execute(
            select(Order.product_version_id, ProductVersion.number)
            .join(ProductVersion, ProductVersion.id == Order.product_version_id)
            .where(Order.id == order_id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)
