"""Production orders: the shop-floor side of a customer order, stage by stage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import Conflict, NotFound
from services.production import events
from services.production.models import LabourEntry, ProductionOrder, StageExecution
from services.production.orders import service as orders
from services.production.products import repository as products_repo
from services.production.work import repository as repo
from services.production.work.schemas import (
    LabourByOperator,
    LabourByStage,
    LabourSummary,
    StageParameters,
)

STAGE_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "blocked"}),
    "active": frozenset({"blocked", "completed"}),
    "blocked": frozenset({"active"}),
    "completed": frozenset(),
}


def _now() -> datetime:
    return datetime.now(UTC)


async def get_production_order(
    session: AsyncSession, tenant_id: uuid.UUID, po_id: uuid.UUID, *, for_update: bool = False
) -> ProductionOrder:
    po = await repo.get(session, tenant_id, po_id, for_update=for_update)
    if po is None:
        raise NotFound("Production order not found", code="production_order_not_found")
    return po


async def create_production_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID
) -> ProductionOrder:
    order = await orders.get_order(session, principal, order_id, for_update=True)
    if order.status not in ("allocated", "production"):
        raise Conflict(
            f"Production needs an allocated order (this one is {order.status})",
            code="invalid_transition",
            extra={"from": order.status, "to": "production"},
        )
    po = ProductionOrder(
        tenant_id=order.tenant_id,
        order_id=order.id,
        plant_id=order.plant_id,
        status="pending",
        created_by=principal.subject,
    )
    session.add(po)
    await session.flush()
    for st in await products_repo.stages_of(session, order.product_version_id):
        session.add(
            StageExecution(
                tenant_id=order.tenant_id,
                production_order_id=po.id,
                process_stage_id=st.id,
                seq=st.seq,
                name=st.name,
                status="pending",
                targets=st.parameters,
                actuals=[],
            )
        )
    await session.flush()
    return po


async def get_stage(
    session: AsyncSession, po: ProductionOrder, stage_id: uuid.UUID
) -> StageExecution:
    for st in await repo.stages(session, [po.id]):
        if st.id == stage_id:
            return st
    raise NotFound("Stage not found in this production order", code="stage_not_found")


def _move(stage: StageExecution, to: str) -> None:
    if to not in STAGE_MOVES[stage.status]:
        raise Conflict(
            f"A stage cannot go from {stage.status} to {to}",
            code="invalid_transition",
            extra={"from": stage.status, "to": to, "allowed": sorted(STAGE_MOVES[stage.status])},
        )
    stage.status = to


async def _sync_order(session: AsyncSession, principal: Principal, po: ProductionOrder) -> None:
    """The production order's status and the customer order's progress follow the stages."""
    stages = await repo.stages(session, [po.id])
    blocked = [s for s in stages if s.status == "blocked"]
    done = sum(s.status == "completed" for s in stages)
    if blocked:
        po.status, po.blocked_reason = "blocked", blocked[0].blocked_reason
    elif stages and done == len(stages):
        po.status, po.blocked_reason, po.completed_at = "completed", None, _now()
    elif any(s.status != "pending" for s in stages):
        po.status, po.blocked_reason = "active", None
    if po.status == "active" and po.started_at is None:
        po.started_at = _now()
    order = await orders.get_order(session, principal, po.order_id, for_update=True)
    if order.status == "allocated" and po.status in ("active", "completed", "blocked"):
        order = await orders.transition(session, principal, order, "production")
    if stages:
        await orders.set_progress(session, order, 25 + (50 * done) // len(stages))
    await session.flush()


async def start_stage(
    session: AsyncSession, principal: Principal, po: ProductionOrder, stage: StageExecution
) -> StageExecution:
    earlier = [s for s in await repo.stages(session, [po.id]) if s.seq < stage.seq]
    if any(s.status != "completed" for s in earlier):
        raise Conflict("Earlier stages are not completed yet", code="stage_out_of_order")
    _move(stage, "active")
    stage.started_at = stage.started_at or _now()
    stage.blocked_reason = None
    if stage.assigned_to is None:
        stage.assigned_to = principal.subject
    await _sync_order(session, principal, po)
    return stage


async def assign_stage(stage: StageExecution, operator: str) -> StageExecution:
    if stage.status == "completed":
        raise Conflict(
            "A completed stage cannot be reassigned",
            code="invalid_transition",
            extra={"from": "completed", "to": "completed"},
        )
    stage.assigned_to = operator
    return stage


def _check_actuals(targets: list[dict], body: StageParameters) -> list[dict]:
    by_name = {t.get("name"): t for t in targets}
    out = []
    for a in body.actuals:
        t = by_name.get(a.name)
        within: bool | None = None
        if t is not None:
            try:
                deviation = abs(Decimal(a.value) - Decimal(str(t.get("target"))))
                tol = Decimal(str(t.get("tolerance"))) if t.get("tolerance") else Decimal(0)
                within = deviation <= tol
            except (InvalidOperation, ValueError):
                within = a.value == str(t.get("target"))
        out.append(
            {
                "name": a.name,
                "value": a.value,
                "target": t.get("target") if t else None,
                "unit": t.get("unit") if t else None,
                "within_tolerance": within,
            }
        )
    return out


async def record_parameters(stage: StageExecution, body: StageParameters) -> StageExecution:
    if stage.status not in ("active", "blocked"):
        raise Conflict(
            "Parameters are recorded on a started stage",
            code="invalid_transition",
            extra={"from": stage.status, "to": stage.status},
        )
    merged = {a["name"]: a for a in stage.actuals}
    merged.update({a["name"]: a for a in _check_actuals(stage.targets, body)})
    stage.actuals = list(merged.values())
    if body.notes is not None:
        stage.notes = body.notes
    return stage


async def complete_stage(
    session: AsyncSession,
    principal: Principal,
    po: ProductionOrder,
    stage: StageExecution,
    body: StageParameters | None,
) -> StageExecution:
    if body is not None and (body.actuals or body.notes):
        await record_parameters(stage, body)
    _move(stage, "completed")
    stage.completed_at = _now()
    for entry in await repo.open_entries(session, stage.id):
        entry.ended_at = stage.completed_at
    await session.flush()
    await _sync_order(session, principal, po)
    order = await orders.get_order(session, principal, po.order_id)
    await events.emit(
        session,
        events.StageCompleted(
            production_order_id=po.id,
            order_id=po.order_id,
            order_number=order.number,
            stage_execution_id=stage.id,
            seq=stage.seq,
            name=stage.name,
            plant_id=po.plant_id,
            actuals=stage.actuals,
            operator=stage.assigned_to,
            production_order_status=po.status,
        ),
        tenant_id=po.tenant_id,
        subject=f"production_orders/{po.id}/stages/{stage.id}",
        customer_tenant_id=order.customer_tenant_id,
    )
    return stage


async def block_stage(
    session: AsyncSession,
    principal: Principal,
    po: ProductionOrder,
    stage: StageExecution,
    reason: str,
) -> StageExecution:
    _move(stage, "blocked")
    stage.blocked_reason = reason
    await _sync_order(session, principal, po)
    return stage


async def resume_stage(
    session: AsyncSession, principal: Principal, po: ProductionOrder, stage: StageExecution
) -> StageExecution:
    _move(stage, "active")
    stage.blocked_reason = None
    stage.started_at = stage.started_at or _now()
    await _sync_order(session, principal, po)
    return stage


async def clock_in(
    session: AsyncSession, po: ProductionOrder, stage: StageExecution, operator: str
) -> LabourEntry:
    if stage.status != "active":
        raise Conflict("Clock in on an active stage", code="stage_not_active")
    if await repo.open_entry(session, stage.id, operator) is not None:
        raise Conflict("Already clocked in on this stage", code="already_clocked_in")
    entry = LabourEntry(
        tenant_id=po.tenant_id,
        stage_execution_id=stage.id,
        production_order_id=po.id,
        operator=operator,
        started_at=_now(),
    )
    session.add(entry)
    await session.flush()
    return entry


async def clock_out(session: AsyncSession, stage: StageExecution, operator: str) -> LabourEntry:
    entry = await repo.open_entry(session, stage.id, operator)
    if entry is None:
        raise Conflict("Not clocked in on this stage", code="not_clocked_in")
    entry.ended_at = _now()
    await session.flush()
    return entry


async def labour_summary(session: AsyncSession, po: ProductionOrder) -> LabourSummary:
    rows = await repo.labour_rows(session, po.id, _now())
    by_stage: dict[uuid.UUID, list] = {}
    by_operator: dict[str, float] = defaultdict(float)
    total, open_entries = 0.0, 0
    for r in rows:
        m = float(r.minutes or 0)
        entry = by_stage.setdefault(r.stage_execution_id, [r.name, 0.0])
        entry[1] += m
        by_operator[r.operator] += m
        total += m
        open_entries += int(r.open)
    return LabourSummary(
        production_order_id=po.id,
        total_minutes=round(total, 2),
        open_entries=open_entries,
        by_stage=[
            LabourByStage(stage_execution_id=k, name=v[0], minutes=round(v[1], 2))
            for k, v in by_stage.items()
        ],
        by_operator=[
            LabourByOperator(operator=k, minutes=round(v, 2))
            for k, v in sorted(by_operator.items())
        ],
    )
