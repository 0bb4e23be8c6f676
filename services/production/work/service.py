"""Production orders: the shop-floor side of a customer order, stage by stage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import flush_or_conflict
from libs.common.identity import IdentityClient
from libs.common.pagination import PageParams, decode_cursor, encode_cursor
from services.production import events
from services.production.access import plant_scope, require_plant
from services.production.models import (
    LabourClockWrite,
    LabourEntry,
    ProductionOrder,
    StageExecution,
)
from services.production.orders import service as orders
from services.production.products import repository as products_repo
from services.production.work import repository as repo
from services.production.work.errors import (
    AlreadyClockedIn,
    InvalidClockTime,
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
    StageAssignment,
    StageAssignmentFeed,
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
    """The stage as stored (its new version), after a change. The flush sets the new version
    and updated_at on the object (both are assigned in Python: VersionMixin, TimestampMixin),
    so no read back is needed."""
    await session.flush()
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
            extra={
                "from": stage.status,
                "to": to,
                "allowed": sorted(STAGE_MOVES[stage.status]),
                # the stage as it is, so a device replaying an offline change can merge
                "current": StageExecutionOut.model_validate(stage).model_dump(mode="json"),
            },
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
    session: AsyncSession,
    po: ProductionOrder,
    stage: StageExecution,
    operator: str,
    clocked_at: datetime | None = None,
) -> tuple[LabourEntry, str]:
    """Clock in. With `clocked_at` (the time the worker clocked on a device, replayed
    later) the clock is last-write-wins by that time: an open entry keeps the later start,
    and the losing write stays in the entry's history (`labour_clock_writes`)."""
    if stage.status != "active":
        raise StageNotActive("Clock in on an active stage")
    at = _clock_time(clocked_at)
    entry = await repo.open_entry(session, stage.id, operator, for_update=True)
    if entry is not None:
        if clocked_at is None:
            raise AlreadyClockedIn("Already clocked in on this stage")
        return entry, await _last_write_wins(session, entry, "in", at, entry.started_at)
    entry = LabourEntry(
        tenant_id=po.tenant_id,
        stage_execution_id=stage.id,
        production_order_id=po.id,
        operator=operator,
        started_at=at,
    )
    session.add(entry)
    await flush_or_conflict(
        session, {"uq_labour_entries_open": AlreadyClockedIn("Already clocked in on this stage")}
    )
    await _record_write(session, entry, "in", at, "applied")
    return entry, "applied"


async def clock_out(
    session: AsyncSession,
    stage: StageExecution,
    operator: str,
    clocked_at: datetime | None = None,
) -> tuple[LabourEntry, str]:
    """Clock out. With `clocked_at`: the open entry ends then; with none open, the latest
    entry begun before then takes the later of the two ends (the other kept in history)."""
    at = _clock_time(clocked_at)
    entry = await repo.open_entry(session, stage.id, operator, for_update=True)
    if entry is not None and entry.started_at <= at:
        entry.ended_at = at
        await session.flush()
        await _record_write(session, entry, "out", at, "applied")
        return entry, "applied"
    if clocked_at is None:
        raise NotClockedIn("Not clocked in on this stage")
    entry = await repo.last_closed_entry(session, stage.id, operator, before=at)
    if entry is None or entry.ended_at is None:
        raise NotClockedIn("Not clocked in on this stage at that time")
    return entry, await _last_write_wins(session, entry, "out", at, entry.ended_at)


MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_CLOCK_AGE = timedelta(days=7)


def _clock_time(clocked_at: datetime | None) -> datetime:
    now = _now()
    if clocked_at is None:
        return now
    if clocked_at.tzinfo is None:
        raise InvalidClockTime("clocked_at needs a time zone (UTC RFC 3339)")
    if clocked_at > now + MAX_CLOCK_SKEW:
        raise InvalidClockTime("clocked_at is in the future")
    if clocked_at < now - MAX_CLOCK_AGE:
        raise InvalidClockTime("clocked_at is more than 7 days old")
    return clocked_at


async def _last_write_wins(
    session: AsyncSession, entry: LabourEntry, kind: str, at: datetime, held: datetime
) -> str:
    """The write clocked later wins; both writes stay in history, the loser `superseded`."""
    if at <= held:
        await _record_write(session, entry, kind, at, "superseded")
        return "superseded"
    if kind == "in":
        entry.started_at = at
    else:
        entry.ended_at = at
    await session.flush()
    await repo.supersede_writes(session, entry.id, kind)
    await _record_write(session, entry, kind, at, "applied")
    return "applied"


async def _record_write(
    session: AsyncSession, entry: LabourEntry, kind: str, at: datetime, outcome: str
) -> None:
    session.add(
        LabourClockWrite(
            tenant_id=entry.tenant_id,
            labour_entry_id=entry.id,
            stage_execution_id=entry.stage_execution_id,
            production_order_id=entry.production_order_id,
            operator=entry.operator,
            kind=kind,
            clocked_at=at,
            outcome=outcome,
        )
    )
    await session.flush()


async def list_clock_writes(
    session: AsyncSession, po: ProductionOrder, page: PageParams
) -> tuple[list[LabourClockWrite], str | None]:
    return await repo.clock_writes_page(session, po.id, page)


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


FEED_DAYS = 14
# A change committed a little after a later-stamped one must not be skipped: the cursor
# restarts this far back; the device keeps the newest version of each stage.
FEED_OVERLAP = timedelta(seconds=5)


async def assignment_feed(
    session: AsyncSession, principal: Principal, page: PageParams
) -> StageAssignmentFeed:
    """The caller's stages whose order is due in the next 14 days (overdue ones too): the
    open ones first time, then (with the cursor) every change since, closed ones included."""
    after = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, [datetime, uuid.UUID])
        after = (at - FEED_OVERLAP, last_id)
    rows = await repo.assignment_rows(
        session,
        principal.tenant_id,
        principal.subject,
        due_by=_now().date() + timedelta(days=FEED_DAYS),
        plants=plant_scope(principal, "production:read"),
        after=after,
        limit=page.limit + 1,
    )
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [
        StageAssignment(
            stage=StageExecutionOut.model_validate(st),
            production_order_id=st.production_order_id,
            plant_id=plant_id,
            order_number=number,
            due_date=due,
            updated_at=st.updated_at,
            open=st.status != "completed",
        )
        for st, plant_id, number, due in rows
    ]
    if items:
        cursor = encode_cursor([items[-1].updated_at, items[-1].stage.id])
    elif page.cursor:
        cursor = page.cursor
    else:
        cursor = encode_cursor([_now() - FEED_OVERLAP, uuid.UUID(int=0)])
    return StageAssignmentFeed(items=items, next_cursor=cursor, has_more=has_more)
