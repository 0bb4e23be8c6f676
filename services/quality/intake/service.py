"""What quality does with production's events: it keeps its copy of the lot (and knows the
product), and a lot reaching qa_pending opens the inspection of a new round."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from services.quality.inspections.service import open_for_lot
from services.quality.intake.schemas import EventEnvelope
from services.quality.models import Lot, ReceivedEvent
from services.quality.products import repository as products_repo

LOT_GATE_REACHED = "production.lot.gate_reached"
QA_GATE = "qa_pending"


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


async def _first_time(session: AsyncSession, event: EventEnvelope) -> bool:
    inserted = (
        await session.execute(
            insert(ReceivedEvent)
            .values(id=event.id, tenant_id=event.tenant_id, type=event.type)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ReceivedEvent.id)
        )
    ).first()
    return inserted is not None


async def _apply_gate(session: AsyncSession, event: EventEnvelope) -> str:
    data = event.data
    lot_id = _uuid(data.get("lot_id")) or _uuid(event.subject.rsplit("/", 1)[-1])
    # production sends `to`; older producers sent `gate` or `to_gate`
    gate = next((data[k] for k in ("to", "gate", "to_gate") if isinstance(data.get(k), str)), None)
    if lot_id is None or gate is None:
        return "ignored"
    lot = (
        await session.scalars(select(Lot).where(Lot.id == lot_id).with_for_update())
    ).one_or_none()
    at: datetime = event.occurred_at
    if lot is None:
        lot = Lot(
            id=lot_id,
            tenant_id=event.tenant_id,
            customer_tenant_id=event.customer_tenant_id,
            number=str(data.get("lot_number") or lot_id),
            quantity=_int(data.get("quantity")) or 1,
            gate=gate,
            qa_round=0,
            gate_changed_at=at,
        )
        session.add(lot)
    elif lot.tenant_id != event.tenant_id:
        return "ignored"
    for field, value in (
        ("order_id", _uuid(data.get("order_id"))),
        ("order_number", data.get("order_number")),
        ("plant_id", _uuid(data.get("plant_id"))),
        ("product_sku", data.get("product_sku")),
        ("quantity", _int(data.get("quantity"))),
    ):
        if value is not None:
            setattr(lot, field, value)
    if gate == QA_GATE:
        lot.qa_round = (lot.qa_round or 0) + 1
    # events can arrive out of order: the gate follows the latest one only
    if at >= lot.gate_changed_at:
        lot.gate = gate
        lot.gate_changed_at = at
    await session.flush()
    if lot.product_sku:
        await products_repo.ensure_product(session, lot.tenant_id, lot.product_sku)
    if gate == QA_GATE:
        await open_for_lot(session, lot)
    return "recorded"


async def handle_event(db: Database, event: EventEnvelope) -> str:
    if event.type != LOT_GATE_REACHED:
        return "ignored"
    async with db.transaction(event.tenant_id) as session:
        if not await _first_time(session, event):
            return "duplicate"
        return await _apply_gate(session, event)
