"""What quality does with production's events: a lot reaching QA awaits inspection."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from libs.common.db import Database
from libs.common.ids import new_id
from services.quality.intake.schemas import EventEnvelope
from services.quality.models import AwaitingInspection

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


def _gate(data: dict[str, Any]) -> str | None:
    for key in ("gate", "to_gate", "to"):
        if isinstance(data.get(key), str):
            return str(data[key])
    return None


def _lot_id(event: EventEnvelope) -> uuid.UUID | None:
    data = event.data
    lot: dict[str, Any] = data["lot"] if isinstance(data.get("lot"), dict) else {}
    return (
        _uuid(data.get("lot_id")) or _uuid(lot.get("id")) or _uuid(event.subject.rsplit("/", 1)[-1])
    )


async def handle_production_event(db: Database, event: EventEnvelope) -> str:
    if event.type != LOT_GATE_REACHED or _gate(event.data) != QA_GATE:
        return "ignored"
    lot_id = _lot_id(event)
    if lot_id is None:
        return "ignored"
    data = event.data
    lot: dict[str, Any] = data["lot"] if isinstance(data.get("lot"), dict) else {}
    row = {
        "id": new_id(),
        "tenant_id": event.tenant_id,
        "customer_tenant_id": event.customer_tenant_id,
        "lot_id": lot_id,
        "lot_number": data.get("number") or data.get("lot_number") or lot.get("number"),
        "order_id": _uuid(data.get("order_id") or lot.get("order_id")),
        "plant_id": _uuid(data.get("plant_id") or lot.get("plant_id")),
        "quantity": _int(data.get("quantity") or lot.get("quantity")),
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
