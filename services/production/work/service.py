"""Production orders: the shop-floor side of a customer order, stage by stage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import flush_or_conflict
from libs.common.identity import IdentityClient
from libs.common.pagination import PageParams
from services.production import events
from services.production.access import plant_scope, require_plant
from services.production.models import LabourEntry, ProductionOrder, StageExecution
from services.production.orders import service as orders
from services.production.products import repository as products_repo
from services.production.work import repository as repo
from services.production.work.errors import (
    AlreadyClockedIn,
    InvalidStageMove,
    NotClockedIn,
    OrderNotAllocated,
    ProductionOrderExists,
    ProductionOrderNotFound,
    StageNotActive,
    StageNotFound,
    StageOutOfOrder,
    UnknownOperator,
)
from services.production.work.schemas import (
    LabourByOperator,
    LabourByStage,
    LabourSummary,
    ProductionOrderFilters,
    StageParameters,
)
from services.production.work.schemas import (
    ProductionOrder as ProductionOrderOut,
)
from services.production.work.schemas import (
    StageExecution as StageExecutionOut,
)

STAGE_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"active", "blocked"}),
    "active": frozenset({"blocked", "completed"}),
    "blocked": frozenset({"active"}),
    "completed": frozenset(),
}


async def saved(session: AsyncSession, stage: StageExecution) -> StageExecution:
    """The stage as stored (its new version), after a change."""
    await session.flush()
    await session.refresh(stage)
    return stage


def _now() -> datetime:
    return datetime.now(UTC)


async def present(session: AsyncSession, pos: list[ProductionOrder]) -> list[ProductionOrderOut]:
    """Production orders with their stages (one query for all of them)."""
    stages: dict[uuid.UUID, list[StageExecution]] = {}
    for st in await repo.stages(session, [p.id for p in pos]):
        stages.setdefault(st.production_order_id, []).append(st)
    return [
        ProductionOrderOut.model_validate(p).model_copy(
            update={"stages": [StageExecutionOut.model_validate(s) for s in stages.get(p.id, [])]}
        )
        for p in pos
    ]


async def list_production_orders(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    filters: ProductionOrderFilters,
) -> tuple[list[ProductionOrderOut], str | None]:
    rows, cursor = await repo.list_page(
        session,
        principal.tenant_id,
        page,
        plants=plant_scope(principal, "production:read"),
        status=filters.status,
        plant_id=filters.plant_id,
        order_id=filters.order_id,
    )
    return await present(session, rows), cursor


async def get_production_order(
    session: AsyncSession,
    principal: Principal,
    po_id: uuid.UUID,
    *,
    perm: str = "production:read",
    for_update: bool = False,
) -> ProductionOrder:
    po = await repo.get(session, principal.tenant_id, po_id, for_update=for_update)
    if po is None:
        raise ProductionOrderNotFound("Production order not found")
    require_plant(principal, perm, po.plant_id)
    return po


async def create_production_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID
) -> ProductionOrder:
    order = await orders.get_order(
        session, principal, order_id, perm="production:write", for_update=True
    )
    if order.status not in ("allocated", "production"):
        raise OrderNotAllocated(
            f"Production needs an allocated order (this one is {order.status})",
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
    await flush_or_conflict(
        session,
        {
            "uq_production_orders_order_id": ProductionOrderExists(
                "The order has a production order already", extra={"field": "order_id"}
            )
        },
    )
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
    raise StageNotFound("Stage not found in this production order")


def _move(stage: StageExecution, to: str) -> None:
    if to not in STAGE_MOVES[stage.status]:
        raise InvalidStageMove(
            f"A stage cannot go from {stage.status} to {to}",
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
    order = await orders.get_order(session, principal, po.order_id, perm=None, for_update=True)
    if order.status == "allocated" and po.status in ("active", "completed", "blocked"):
        order = await orders.transition(session, principal, order, "production")
    if stages:
        await orders.set_progress(session, order, 25 + (50 * done) // len(stages))
    await session.flush()


async def _require_earlier_done(
    session: AsyncSession, po: ProductionOrder, stage: StageExecution
) -> None:
    earlier = [s for s in await repo.stages(session, [po.id]) if s.seq < stage.seq]
    if any(s.status != "completed" for s in earlier):
        raise StageOutOfOrder("Earlier stages are not completed yet")


async def start_stage(
    session: AsyncSession, principal: Principal, po: ProductionOrder, stage: StageExecution
) -> StageExecution:
    await _require_earlier_done(session, po, stage)
    _move(stage, "active")
    stage.started_at = stage.started_at or _now()
    stage.blocked_reason = None
    if stage.assigned_to is None:
        stage.assigned_to = principal.subject
    await _sync_order(session, principal, po)
    return stage


async def assign_stage(
    principal: Principal,
    stage: StageExecution,
    operator: str,
    *,
    identity: IdentityClient,
    token: str,
) -> StageExecution:
    """Assign to a user of the caller's tenant (asked of identity with the caller's token)."""
    if stage.status == "completed":
        raise InvalidStageMove(
            "A completed stage cannot be reassigned",
            extra={"from": "completed", "to": "completed"},
        )
    await _check_operator(principal, operator, identity=identity, token=token)
    stage.assigned_to = operator
    return stage


async def _check_operator(
    principal: Principal, operator: str, *, identity: IdentityClient, token: str
) -> None:
    try:
        user_id = uuid.UUID(operator)
    except ValueError:
        user_id = None
    user = await identity.get_user(user_id, token) if user_id is not None else None
    if (
        user is None
        or str(user.get("tenant_id")) != str(principal.tenant_id)
        or user.get("status", "active") != "active"
    ):
        raise UnknownOperator(
            "operator must be the id of an active user of your tenant",
            extra={"operator": operator},
        )


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
        raise InvalidStageMove(
            "Parameters are recorded on a started stage",
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
    order = await orders.get_order(session, principal, po.order_id, perm=None)
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
    """A blocked stage goes on; one blocked before it started only once the stages before
    it are completed (resuming is not a way around `start`)."""
    if stage.status != "blocked":
        raise InvalidStageMove(
            f"Only a blocked stage resumes (this one is {stage.status})",
            extra={
                "from": stage.status,
                "to": "active",
                "allowed": sorted(STAGE_MOVES[stage.status]),
            },
        )
    await _require_earlier_done(session, po, stage)
    _move(stage, "active")
    stage.blocked_reason = None
    stage.started_at = stage.started_at or _now()
    await _sync_order(session, principal, po)
    return stage


async def clock_in(
    session: AsyncSession, po: ProductionOrder, stage: StageExecution, operator: str
) -> LabourEntry:
    if stage.status != "active":
        raise StageNotActive("Clock in on an active stage")
    if await repo.open_entry(session, stage.id, operator) is not None:
        raise AlreadyClockedIn("Already clocked in on this stage")
    entry = LabourEntry(
        tenant_id=po.tenant_id,
        stage_execution_id=stage.id,
        production_order_id=po.id,
        operator=operator,
        started_at=_now(),
    )
    session.add(entry)
    await flush_or_conflict(
        session, {"uq_labour_entries_open": AlreadyClockedIn("Already clocked in on this stage")}
    )
    return entry


async def clock_out(session: AsyncSession, stage: StageExecution, operator: str) -> LabourEntry:
    entry = await repo.open_entry(session, stage.id, operator)
    if entry is None:
        raise NotClockedIn("Not clocked in on this stage")
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
