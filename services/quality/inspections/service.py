"""The inspection of a lot: opened when the lot reaches qa_pending (one per round), assigned,
started, filled (results per item and sample unit, defects), completed with a computed
verdict that production acts on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from libs.common.identity import IdentityClient
from libs.common.ids import new_id
from libs.common.pagination import PageParams, decode_cursor, encode_cursor, paginate
from libs.contracts.events import quality as contracts
from services.quality import events
from services.quality.access import require_plant
from services.quality.checklists import repository as checklists_repo
from services.quality.inspections import repository as repo
from services.quality.inspections.assignees import require_inspector
from services.quality.inspections.schemas import (
    DefectCreate,
    InspectionAssignment,
    InspectionAssignmentFeed,
    ResultIn,
)
from services.quality.inspections.schemas import Inspection as InspectionOut
from services.quality.inspections.verdict import Recorded, judge
from services.quality.models import ChecklistItem, CheckResult, Defect, Inspection, Lot
from services.quality.products import repository as products_repo
from services.quality.products.service import get_settings
from services.quality.sampling.schemas import SamplingPlan
from services.quality.sampling.service import first_spec, plan
from services.quality.switching import service as switching

WRITE = "inspections:write"
SamplingDiscontinued = switching.SamplingDiscontinued
MANAGE = "inspections:manage"


class InspectionNotFound(NotFound):
    code, title = "inspection_not_found", "Inspection not found"


class InvalidInspectionState(Conflict):
    code, title = "invalid_inspection_state", "Not possible in the inspection's state"


class InspectionIncomplete(Conflict):
    code, title = "inspection_incomplete", "Mandatory checks lack results"


class NotAssignee(Forbidden):
    code, title = "not_assignee", "Assigned to another inspector"


class InvalidResult(Unprocessable):
    code, title = "invalid_result", "Invalid result"


def subject(inspection: Inspection) -> str:
    return f"inspections/{inspection.id}"


def summary(inspection: Inspection) -> dict[str, Any]:
    """The fields every inspection event carries."""
    return {
        "inspection_id": inspection.id,
        "lot_id": inspection.lot_id,
        "lot_number": inspection.lot_number,
        "round": inspection.round,
        "plant_id": inspection.plant_id,
        "product_sku": inspection.product_sku,
        "status": inspection.status,
    }


async def _emit(
    session: AsyncSession,
    inspection: Inspection,
    model: type[contracts.EventModel],
    data: dict[str, Any],
) -> None:
    await events.emit(
        session,
        model.model_validate({**summary(inspection), **data}),
        tenant_id=inspection.tenant_id,
        subject=subject(inspection),
        customer_tenant_id=inspection.customer_tenant_id,
        plant_id=inspection.plant_id,
        lot_id=inspection.lot_id,
    )


async def open_for_lot(session: AsyncSession, lot: Lot) -> Inspection:
    """The inspection of the lot's current round (made once; a redelivery finds it)."""
    found = await repo.get_round(session, lot.id, lot.qa_round)
    if found is not None:
        return found
    versions = [str(v) for v in (lot.product_version, lot.product_version_id) if v is not None]
    checklist = (
        await checklists_repo.active_for(session, lot.tenant_id, lot.product_sku, versions)
        if lot.product_sku
        else None
    )
    product = (
        await products_repo.get_product(session, lot.tenant_id, lot.product_sku)
        if lot.product_sku
        else None
    )
    settings = await get_settings(session, lot.tenant_id)
    source, spec = first_spec(
        ("checklist", checklist.sampling if checklist else None),
        ("product", product.sampling if product else None),
        ("tenant", settings.sampling),
    )
    severity, state = await switching.severity_for(
        session, lot.tenant_id, lot.product_sku, spec.severity
    )
    sampled = plan(lot.quantity, spec.model_copy(update={"severity": severity}), source)
    inspection = Inspection(
        id=new_id(),
        tenant_id=lot.tenant_id,
        customer_tenant_id=lot.customer_tenant_id,
        lot_id=lot.id,
        round=lot.qa_round,
        lot_number=lot.number,
        plant_id=lot.plant_id,
        product_sku=lot.product_sku,
        checklist_id=checklist.id if checklist else None,
        status="open",
        plan=sampled.model_copy(update={"switching": state}).model_dump(),
    )
    session.add(inspection)
    await session.flush()
    await _emit(session, inspection, contracts.InspectionOpened, {"plan": inspection.plan})
    return inspection


async def get_inspection(
    session: AsyncSession,
    principal: Principal,
    inspection_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Inspection:
    found = await repo.get(session, principal, inspection_id, for_update=for_update)
    if found is None:
        raise InspectionNotFound("Inspection not found")
    return found


async def touched(session: AsyncSession, found: Inspection) -> Inspection:
    """A result or defect changes the inspection: its version goes up by one, so a device
    replaying an older view of it gets a conflict (If-Match) instead of a silent merge."""
    found.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(found)
    return found


async def list_inspections(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    lot_id: uuid.UUID | None,
    status: str | None,
) -> tuple[list[Inspection], str | None]:
    return await paginate(
        session, repo.list_query(principal, lot_id, status), page, keys=[Inspection.id]
    )


async def list_awaiting(
    session: AsyncSession, principal: Principal, page: PageParams, lot_id: uuid.UUID | None
) -> tuple[list[tuple[Lot, uuid.UUID | None]], str | None]:
    stmt = repo.awaiting_query(principal, lot_id)
    # keyset by lot id, newest first
    if page.cursor:
        (after,) = decode_cursor(page.cursor, [uuid.UUID])
        stmt = stmt.where(Lot.id < after)
    rows = (await session.execute(stmt.order_by(Lot.id.desc()).limit(page.limit + 1))).all()
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = encode_cursor([rows[-1][0].id])
    return [(r[0], r[1]) for r in rows], cursor


def _may_record(principal: Principal, inspection: Inspection) -> None:
    require_plant(principal, WRITE, inspection.plant_id)
    if inspection.inspector_id not in (None, principal.subject) and not principal.has_permission(
        MANAGE, inspection.plant_id
    ):
        raise NotAssignee("This inspection is assigned to another inspector")


async def assign(
    session: AsyncSession,
    principal: Principal,
    inspection: Inspection,
    inspector_id: uuid.UUID,
    *,
    identity: IdentityClient,
    token: str,
) -> Inspection:
    require_plant(principal, MANAGE, inspection.plant_id)
    if inspection.status not in ("open", "assigned", "in_progress"):
        raise InvalidInspectionState(f"A {inspection.status} inspection cannot be reassigned")
    await require_inspector(identity, token, principal, inspection, inspector_id)
    inspection.inspector_id = str(inspector_id)
    if inspection.status == "open":
        inspection.status = "assigned"
    await session.flush()
    return inspection


async def start(session: AsyncSession, principal: Principal, inspection: Inspection) -> Inspection:
    _may_record(principal, inspection)
    if inspection.status not in ("open", "assigned"):
        raise InvalidInspectionState(f"A {inspection.status} inspection cannot start")
    await switching.ensure_may_inspect(session, inspection)
    inspection.inspector_id = inspection.inspector_id or principal.subject
    inspection.status = "in_progress"
    inspection.started_at = datetime.now(UTC)
    await session.flush()
    await _emit(
        session, inspection, contracts.InspectionStarted, {"inspector_id": inspection.inspector_id}
    )
    return inspection


def _in_progress(inspection: Inspection) -> None:
    if inspection.status != "in_progress":
        raise InvalidInspectionState(
            f"Results are recorded on a started inspection; this one is {inspection.status}"
        )


def _sample(inspection: Inspection) -> SamplingPlan:
    return SamplingPlan.from_json(inspection.plan)


def _judge_result(item: ChecklistItem, body: ResultIn) -> bool:
    if item.check_type == "measurement":
        if body.value is None:
            raise InvalidResult(f"Item {item.label!r} is a measurement: send `value`")
        assert item.target is not None and item.tolerance is not None
        return abs(Decimal(body.value) - item.target) <= item.tolerance
    if item.check_type == "photo":
        if body.photo_id is None:
            raise InvalidResult(f"Item {item.label!r} needs a photo: send `photo_id`")
        return body.passed is not False
    if body.passed is None:
        raise InvalidResult(f"Item {item.label!r} is pass/fail: send `passed`")
    return body.passed


async def record_results(
    session: AsyncSession, principal: Principal, inspection: Inspection, results: list[ResultIn]
) -> tuple[int, int]:
    _may_record(principal, inspection)
    _in_progress(inspection)
    if inspection.checklist_id is None:
        raise InvalidResult("This inspection has no checklist; record defects instead")
    items = {i.id: i for i in await checklists_repo.items(session, inspection.checklist_id)}
    sample = _sample(inspection).sample_size
    rows = []
    failed = 0
    for body in results:
        item = items.get(body.item_id)
        if item is None:
            raise InvalidResult(f"Item {body.item_id} is not on this inspection's checklist")
        if body.unit > sample:
            raise InvalidResult(f"Unit {body.unit} is outside the sample of {sample}")
        passed = _judge_result(item, body)
        failed += not passed
        rows.append(
            {
                "id": new_id(),
                "tenant_id": inspection.tenant_id,
                "inspection_id": inspection.id,
                "item_id": item.id,
                "unit": body.unit,
                "passed": passed,
                "value": body.value,
                "photo_id": body.photo_id,
                "notes": body.notes,
                "recorded_by": principal.subject,
            }
        )
    # one row per (item, unit): the last one sent wins
    unique = {(r["item_id"], r["unit"]): r for r in rows}
    await repo.upsert_results(session, list(unique.values()))
    return len(unique), failed


async def add_defect(
    session: AsyncSession, principal: Principal, inspection: Inspection, body: DefectCreate
) -> Defect:
    _may_record(principal, inspection)
    _in_progress(inspection)
    if body.unit > _sample(inspection).sample_size:
        raise InvalidResult(f"Unit {body.unit} is outside the sample")
    if body.item_id is not None:
        items = (
            {i.id for i in await checklists_repo.items(session, inspection.checklist_id)}
            if inspection.checklist_id
            else set()
        )
        if body.item_id not in items:
            raise InvalidResult(f"Item {body.item_id} is not on this inspection's checklist")
    defect = Defect(
        id=new_id(),
        tenant_id=inspection.tenant_id,
        customer_tenant_id=inspection.customer_tenant_id,
        inspection_id=inspection.id,
        unit=body.unit,
        item_id=body.item_id,
        severity=body.severity,
        description=body.description,
        recorded_by=principal.subject,
    )
    session.add(defect)
    await session.flush()
    await _emit(
        session,
        inspection,
        contracts.DefectRecorded,
        {
            "defect_id": defect.id,
            "unit": defect.unit,
            "severity": defect.severity,
            "description": defect.description,
        },
    )
    return defect


async def complete(
    session: AsyncSession, principal: Principal, inspection: Inspection
) -> Inspection:
    _may_record(principal, inspection)
    _in_progress(inspection)
    sample = _sample(inspection)
    if inspection.checklist_id is not None:
        items = await checklists_repo.items(session, inspection.checklist_id)
        coverage = await repo.result_coverage(session, inspection.id, sample.sample_size)
        missing = {
            str(i.id): sample.sample_size - coverage.get(i.id, 0)
            for i in items
            if i.mandatory and coverage.get(i.id, 0) < sample.sample_size
        }
        if missing:
            raise InspectionIncomplete(
                "Mandatory checks lack results for some sample units",
                extra={"missing_units_by_item": missing},
            )
    failed, with_results, failed_checks = await repo.failed_units(
        session, inspection.id, sample.sample_size
    )
    defects = await repo.defects(session, inspection.id)
    verdict, counts = judge(
        sample,
        Recorded(
            failed_units=frozenset(failed),
            units_with_results=with_results,
            failed_checks=failed_checks,
            defects=tuple((d.unit, d.severity) for d in defects),
        ),
    )
    inspection.verdict = verdict
    inspection.counts = counts.model_dump()
    inspection.status = "completed"
    inspection.completed_at = datetime.now(UTC)
    await session.flush()
    await switching.record_outcome(session, inspection)
    await _emit(
        session,
        inspection,
        contracts.InspectionCompleted,
        {
            "verdict": verdict,
            # what production moves the lot to
            "lot_gate": "approved" if verdict == "passed" else "rejected",
            "counts": inspection.counts,
            "plan": inspection.plan,
            "inspector_id": inspection.inspector_id,
            "completed_at": inspection.completed_at,
        },
    )
    return inspection


async def list_results(session: AsyncSession, inspection: Inspection) -> list[CheckResult]:
    return await repo.results(session, inspection.id)


async def list_defects(session: AsyncSession, inspection: Inspection) -> list[Defect]:
    return await repo.defects(session, inspection.id)


# A change committed a little after a later-stamped one must not be skipped: the cursor
# restarts this far back; the device keeps the newest version of each inspection.
FEED_OVERLAP = timedelta(seconds=5)


async def assignment_feed(
    session: AsyncSession, principal: Principal, page: PageParams
) -> InspectionAssignmentFeed:
    """The caller's inspections for a device's cache: the open ones first time, then (with
    the cursor) every change since, completed ones included."""
    after = None
    if page.cursor:
        at, last_id = decode_cursor(page.cursor, [datetime, uuid.UUID])
        after = (at - FEED_OVERLAP, last_id)
    rows = await repo.assignment_rows(session, principal, after=after, limit=page.limit + 1)
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [
        InspectionAssignment(
            inspection=InspectionOut.model_validate(r),
            updated_at=r.updated_at,
            open=r.status != "completed",
        )
        for r in rows
    ]
    if items:
        cursor = encode_cursor([items[-1].updated_at, items[-1].inspection.id])
    elif page.cursor:
        cursor = page.cursor
    else:
        cursor = encode_cursor([datetime.now(UTC) - FEED_OVERLAP, uuid.UUID(int=0)])
    return InspectionAssignmentFeed(items=items, next_cursor=cursor, has_more=has_more)
