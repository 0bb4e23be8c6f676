"""What quality does with production's events: a lot reaching QA awaits inspection."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.dialects.postgresql import insert

from libs.common.db import Database
from libs.common.ids import new_id
from libs.contracts import EventEnvelope, EventModel
from libs.contracts.events.production import LotGateReached
from services.quality.models import AwaitingInspection

QA_GATE = "qa_pending"

IntakeStatus = Literal["recorded", "duplicate", "ignored"]


async def handle_event(db: Database, event: EventEnvelope[EventModel]) -> IntakeStatus:
    lot = event.data
    if not isinstance(lot, LotGateReached) or lot.to_gate != QA_GATE:
        return "ignored"
    row = {
        "id": new_id(),
        "tenant_id": event.tenant_id,
        "customer_tenant_id": event.customer_tenant_id,
        "lot_id": lot.lot_id,
        "lot_number": lot.lot_number,
        "order_id": lot.order_id,
        "plant_id": lot.plant_id,
        "quantity": lot.quantity,
        "status": "awaiting",
        "received_event_id": event.id,
    }
    async with db.transaction(event.tenant_id) as session:
        inserted = (
            await session.execute(
                insert(AwaitingInspection)
                .values(row)
                .on_conflict_do_nothing(index_elements=["received_event_id"])
                .returning(AwaitingInspection.id)
            )
        ).first()
    return "recorded" if inserted else "duplicate"
