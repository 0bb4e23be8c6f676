from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import Database, flush_or_conflict
from libs.common.pagination import PageParams
from libs.common.reads import Reads
from libs.contracts import EventEnvelope, EventModel
from libs.contracts.events.quality import InspectionCompleted
from services.production import events
from services.production.access import plant_scope, require_plant
from services.production.lots import repository as repo
from services.production.lots.errors import (
    InspectionRequired,
    InvalidGateMove,
    LotNotFound,
    LotNumberTaken,
    LotQuantityExceedsOrder,
    OrderClosedForLots,
    OrderNotInProduction,
    OverrideNotApplicable,
)
from services.production.lots.gates import (
    APPROVAL_GATES,
    MOVES,
    ORDER_NOT_READY_FOR_PRODUCTION,
    QA_GATE,
)
from services.production.lots.schemas import LotCreate, LotFilters
from services.production.models import Lot, LotGateHistory
from services.production.orders.service import get_order
from services.production.plants.service import get_plant


async def list_lots(
    reads: Reads, principal: Principal, page: PageParams, filters: LotFilters
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of lots as the response's fields (`schemas.Lot`), in one read transaction."""
    async with reads.transaction(principal) as tx:
        return await repo.list_page(
            tx,
            principal,
            page,
            plants=plant_scope(principal, "lots:read"),
            gate=list(filters.gate) if filters.gate else None,
            plant_id=filters.plant_id,
            order_id=filters.order_id,
            created_from=filters.created_from,
            created_to=filters.created_to,
        )


async def get_lot(
    session: AsyncSession,
    principal: Principal,
    lot_id: uuid.UUID,
    *,
    perm: str | None = "lots:read",
    for_update: bool = False,
) -> Lot:
    lot = await repo.get(session, principal, lot_id, for_update=for_update)
    if lot is None:
        raise LotNotFound("Lot not found")
    if perm is not None:
        require_plant(principal, perm, lot.plant_id)
    return lot


async def list_history(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, page: PageParams
) -> tuple[list[LotGateHistory], str | None]:
    lot = await get_lot(session, principal, lot_id)
    return await repo.history_page(session, principal, lot.id, page)


async def _record(
    session: AsyncSession,
    lot: Lot,
    from_gate: str | None,
    to_gate: str,
    actor: str,
    note: str | None,
    *,
    inspection_id: uuid.UUID | None = None,
    override_reason: str | None = None,
) -> None:
    session.add(
        LotGateHistory(
            tenant_id=lot.tenant_id,
            lot_id=lot.id,
            customer_tenant_id=lot.customer_tenant_id,
            from_gate=from_gate,
            to_gate=to_gate,
            actor=actor,
            note=note,
            inspection_id=inspection_id,
            override_reason=override_reason,
        )
    )
    version_id, version = await repo.order_version(session, lot.order_id)
    await events.emit(
        session,
        events.LotGateReached(
            lot_id=lot.id,
            lot_number=lot.number,
            order_id=lot.order_id,
            order_number=lot.order_number,
            from_gate=from_gate,
            to_gate=to_gate,
            plant_id=lot.plant_id,
            quantity=lot.quantity,
            product_sku=lot.product_sku,
            actor=actor,
            note=note,
            inspection_id=inspection_id,
            override_reason=override_reason,
            product_version_id=version_id,
            product_version=version,
        ),
        tenant_id=lot.tenant_id,
        subject=f"lots/{lot.id}",
        customer_tenant_id=lot.customer_tenant_id,
    )


async def create_lot(session: AsyncSession, principal: Principal, body: LotCreate) -> Lot:
    # The order row lock serializes lot creation per order, so the quantity check holds.
    order = await get_order(session, principal, body.order_id, perm="lots:write", for_update=True)
    if order.status == "cancelled":
        raise OrderClosedForLots("A cancelled order gets no lots")
    made = await repo.quantity_for_order(session, order.id)
    if made + body.quantity > order.quantity:
        raise LotQuantityExceedsOrder(
            f"The order is for {order.quantity}; its lots hold {made} already, so a lot of "
            f"{body.quantity} would exceed it",
            extra={
                "order_quantity": order.quantity,
                "in_lots": made,
                "remaining": order.quantity - made,
            },
        )
    plant_id = order.plant_id
    if body.plant_id is not None:
        plant_id = (await get_plant(session, principal.tenant_id, body.plant_id)).id
        require_plant(principal, "lots:write", plant_id)
    number = (
        body.number or f"{order.number}-L{await repo.count_for_order(session, order.id) + 1:02d}"
    )
    lot = Lot(
        tenant_id=principal.tenant_id,
        number=number,
        order_id=order.id,
        order_number=order.number,
        plant_id=plant_id,
        customer_tenant_id=order.customer_tenant_id,
        product_sku=order.product_sku,
        quantity=body.quantity,
        gate="created",
        gate_changed_by=principal.subject,
    )
    session.add(lot)
    await flush_or_conflict(
        session,
        {
            "uq_lots_tenant_id_number": LotNumberTaken(
                f"Lot number {number!r} is taken", extra={"field": "number"}
            )
        },
    )
    await _record(session, lot, None, "created", principal.subject, None)
    await session.flush()
    return lot


OVERRIDE_PERMISSION = "qa:override"
"""A QA manager's: approve a lot without a passed inspection, giving a reason (audited)."""
QUALITY_ACTOR = "service:quality"


async def move_gate(
    session: AsyncSession,
    principal: Principal,
    lot: Lot,
    to: str,
    *,
    note: str | None = None,
    override_reason: str | None = None,
) -> Lot:
    """A move asked over HTTP: the caller's permissions, then the one transition."""
    _check_move(lot, to)
    require_plant(principal, "lots:approve" if to in APPROVAL_GATES else "lots:write", lot.plant_id)
    if override_reason is not None and to != "approved":
        raise OverrideNotApplicable(
            "override_reason applies to approving a lot only", extra={"to": to}
        )
    if to == "in_production":
        order = await get_order(session, principal, lot.order_id, perm=None)
        if order.status in ORDER_NOT_READY_FOR_PRODUCTION:
            raise OrderNotInProduction(
                f"The lot's order is {order.status}: allocate it before its lots go into "
                "production",
                extra={"order_id": str(order.id), "order_status": order.status},
            )
    if to == "approved":
        if await repo.has_passed_inspection(session, lot.tenant_id, lot.id, lot.qa_round):
            override_reason = None  # nothing to override
        elif override_reason is None:
            raise InspectionRequired(
                f"Inspection round {lot.qa_round} of this lot has not passed: a QA manager "
                "may approve it anyway with an override_reason",
                extra={"round": lot.qa_round, "override_permission": OVERRIDE_PERMISSION},
            )
        else:
            require_plant(principal, OVERRIDE_PERMISSION, lot.plant_id)
    return await transition(
        session, lot, to, actor=principal.subject, note=note, override_reason=override_reason
    )


def _check_move(lot: Lot, to: str) -> None:
    current = lot.gate
    if to not in MOVES[current]:
        raise InvalidGateMove(
            f"A lot cannot go from {current} to {to}",
            extra={"from": current, "to": to, "allowed": sorted(MOVES[current])},
        )


async def transition(
    session: AsyncSession,
    lot: Lot,
    to: str,
    *,
    actor: str,
    note: str | None = None,
    inspection_id: uuid.UUID | None = None,
    override_reason: str | None = None,
) -> Lot:
    """The one gate transition, whoever asks (a user over HTTP, or quality's verdict):
    the move is checked, the lot updated, the history row and `production.lot.gate_reached`
    written in the same transaction."""
    _check_move(lot, to)
    current = lot.gate
    lot.gate = to
    lot.gate_changed_at = datetime.now(UTC)
    lot.gate_changed_by = actor
    if to == QA_GATE:
        lot.qa_round = (lot.qa_round or 0) + 1
    await session.flush()
    await _record(
        session,
        lot,
        current,
        to,
        actor,
        note,
        inspection_id=inspection_id,
        override_reason=override_reason,
    )
    await session.flush()
    await session.refresh(lot)
    return lot


IntakeStatus = Literal["recorded", "duplicate", "ignored"]


async def apply_inspection(db: Database, event: EventEnvelope[EventModel]) -> IntakeStatus:
    """Quality's verdict moves the lot: passed -> approved, failed -> rejected, through the
    same transition as a user's move. Once per inspection (a redelivery changes nothing);
    a verdict for a lot not at qa_pending, or of another round, is kept and ignored."""
    data = event.data
    if not isinstance(data, InspectionCompleted):
        return "ignored"
    to = "approved" if data.verdict == "passed" else "rejected"
    async with db.transaction(event.tenant_id) as session:
        lot = await repo.get_of_tenant(session, event.tenant_id, data.lot_id)
        reason: str | None = None
        if lot is None:
            reason = "unknown_lot"
        elif lot.gate != QA_GATE:
            reason = f"lot_at_{lot.gate}"
        elif data.round != lot.qa_round:
            reason = f"round_{data.round}_not_current_{lot.qa_round}"
        first = await repo.record_inspection(
            session,
            {
                "id": uuid.uuid4(),
                "tenant_id": event.tenant_id,
                "lot_id": data.lot_id,
                "inspection_id": data.inspection_id,
                "round": data.round,
                "verdict": data.verdict,
                "outcome": "ignored" if reason else "applied",
                "reason": reason,
                "event_id": str(event.id),
            },
        )
        if not first:
            return "duplicate"
        if lot is None or reason is not None:
            return "ignored"
        await transition(
            session,
            lot,
            to,
            actor=QUALITY_ACTOR,
            note=f"Inspection round {data.round}: {data.verdict}",
            inspection_id=data.inspection_id,
        )
        return "recorded"
