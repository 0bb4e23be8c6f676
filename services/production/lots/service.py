from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import Conflict, NotFound
from services.production import events
from services.production.lots import repository as repo
from services.production.lots.schemas import LotCreate
from services.production.models import Lot, LotGateHistory
from services.production.orders.service import get_order
from services.production.plants.service import get_plant

GATES: dict[str, frozenset[str]] = {
    "created": frozenset({"in_production"}),
    "in_production": frozenset({"qa_pending"}),
    "qa_pending": frozenset({"approved", "rejected"}),
    "approved": frozenset({"packed"}),
    "rejected": frozenset({"in_production"}),  # rework
    "packed": frozenset({"shipped"}),
    "shipped": frozenset(),
}
APPROVAL_GATES = frozenset({"approved", "rejected"})


async def get_lot(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID, *, for_update: bool = False
) -> Lot:
    lot = await repo.get(session, principal, lot_id, for_update=for_update)
    if lot is None:
        raise NotFound("Lot not found", code="lot_not_found")
    return lot


async def _record(
    session: AsyncSession,
    lot: Lot,
    from_gate: str | None,
    to_gate: str,
    actor: str,
    note: str | None,
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
        )
    )
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
        ),
        tenant_id=lot.tenant_id,
        subject=f"lots/{lot.id}",
        customer_tenant_id=lot.customer_tenant_id,
    )


async def create_lot(session: AsyncSession, principal: Principal, body: LotCreate) -> Lot:
    order = await get_order(session, principal, body.order_id)
    if order.status == "cancelled":
        raise Conflict("A cancelled order gets no lots", code="order_closed")
    plant_id = order.plant_id
    if body.plant_id is not None:
        plant_id = (await get_plant(session, principal.tenant_id, body.plant_id)).id
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
    await session.flush()
    await _record(session, lot, None, "created", principal.subject, None)
    await session.flush()
    return lot


async def move_gate(
    session: AsyncSession, principal: Principal, lot: Lot, to: str, *, note: str | None = None
) -> Lot:
    current = lot.gate
    if to not in GATES[current]:
        raise Conflict(
            f"A lot cannot go from {current} to {to}",
            code="invalid_transition",
            extra={"from": current, "to": to, "allowed": sorted(GATES[current])},
        )
    principal.require_permission("lots:approve" if to in APPROVAL_GATES else "lots:write")
    lot.gate = to
    lot.gate_changed_at = datetime.now(UTC)
    lot.gate_changed_by = principal.subject
    await session.flush()
    await _record(session, lot, current, to, principal.subject, note)
    await session.flush()
    await session.refresh(lot)
    return lot
