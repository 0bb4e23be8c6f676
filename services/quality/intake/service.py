"""What quality does with production's events: it keeps its copy of the lot (and knows the
product), a lot reaching qa_pending opens the inspection of a new round, and an order's
allocation is kept as what its lots are made of (the passports' materials)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.contracts import EventEnvelope, EventModel
from libs.contracts.events.production import LotGateReached, OrderAllocated
from services.quality.inspections.service import open_for_lot
from services.quality.models import Lot, OrderMaterials, ReceivedEvent
from services.quality.products import repository as products_repo

QA_GATE = "qa_pending"

IntakeStatus = Literal["recorded", "duplicate", "ignored"]


async def _first_time(session: AsyncSession, event: EventEnvelope[EventModel]) -> bool:
    inserted = (
        await session.execute(
            insert(ReceivedEvent)
            .values(id=event.id, tenant_id=event.tenant_id, type=event.type)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ReceivedEvent.id)
        )
    ).first()
    return inserted is not None


async def _apply_gate(
    session: AsyncSession, event: EventEnvelope[EventModel], data: LotGateReached
) -> IntakeStatus:
    # two events of one new lot may arrive at once: the first insert wins, both then lock it
    await session.execute(
        insert(Lot)
        .values(
            id=data.lot_id,
            tenant_id=event.tenant_id,
            customer_tenant_id=event.customer_tenant_id,
            number=data.lot_number,
            quantity=data.quantity,
            gate=data.to_gate,
            qa_round=0,
            gate_changed_at=event.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    lot = (
        await session.scalars(select(Lot).where(Lot.id == data.lot_id).with_for_update())
    ).one_or_none()
    if lot is None or lot.tenant_id != event.tenant_id:
        return "ignored"
    lot.number = data.lot_number
    lot.order_id = data.order_id
    lot.order_number = data.order_number
    lot.plant_id = data.plant_id
    lot.product_sku = data.product_sku
    if data.product_version_id is not None:
        lot.product_version_id = data.product_version_id
        lot.product_version = data.product_version
    lot.quantity = data.quantity
    if data.to_gate == QA_GATE:
        lot.qa_round = (lot.qa_round or 0) + 1
    # events can arrive out of order: the gate follows the latest one only
    if event.occurred_at >= lot.gate_changed_at:
        lot.gate = data.to_gate
        lot.gate_changed_at = event.occurred_at
    await session.flush()
    await products_repo.ensure_product(session, lot.tenant_id, data.product_sku)
    if data.to_gate == QA_GATE:
        await open_for_lot(session, lot)
    return "recorded"


async def _apply_allocation(
    session: AsyncSession, event: EventEnvelope[EventModel], data: OrderAllocated
) -> IntakeStatus:
    values = {
        "customer_tenant_id": event.customer_tenant_id,
        "order_number": data.order_number,
        "product_sku": data.product_sku,
        "product_version_id": data.product_version_id,
        "quantity": data.quantity,
        "components": [c.model_dump(mode="json") for c in data.components],
        "allocated_at": event.occurred_at,
    }
    stmt = insert(OrderMaterials).values(
        tenant_id=event.tenant_id, order_id=data.order_id, **values
    )
    # a later allocation (the order cancelled and allocated again) replaces an earlier one;
    # an older event arriving late changes nothing
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["order_id"],
            set_={**values, "updated_at": stmt.excluded.allocated_at},
            where=(OrderMaterials.allocated_at <= stmt.excluded.allocated_at)
            & (OrderMaterials.tenant_id == event.tenant_id),
        )
    )
    return "recorded"


async def handle_event(db: Database, event: EventEnvelope[EventModel]) -> IntakeStatus:
    data = event.data
    if not isinstance(data, LotGateReached | OrderAllocated):
        return "ignored"
    async with db.transaction(event.tenant_id) as session:
        if not await _first_time(session, event):
            return "duplicate"
        if isinstance(data, OrderAllocated):
            return await _apply_allocation(session, event, data)
        return await _apply_gate(session, event, data)
