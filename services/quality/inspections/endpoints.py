"""Inspections: the lots awaiting one, and the inspection itself (assign, start, results,
defects, complete)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from libs.common.auth import Principal, Space, bearer_token
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, MissingPermission, WrongSpace, errors
from libs.common.etag import check_if_match, set_etag
from libs.common.identity import IdentityUnavailable
from libs.common.pagination import Page, PageQuery
from services.quality.access import require_route
from services.quality.inspections import service
from services.quality.inspections.assignees import AssigneeNotInspector, AssigneeNotVisible
from services.quality.inspections.schemas import (
    AssignBody,
    AwaitingInspection,
    CheckResult,
    Defect,
    DefectCreate,
    Inspection,
    InspectionAssignmentFeed,
    ResultsBody,
    ResultsRecorded,
    Status,
)

router = APIRouter(prefix="/inspections", tags=["inspections"], responses=AUTH_ERRORS)


async def _reader(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
) -> Principal:
    require_route(principal, "inspections:read")
    return principal


async def _recorder(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER))],
) -> Principal:
    require_route(principal, "inspections:write")
    return principal


Reader = Annotated[Principal, Depends(_reader)]
Recorder = Annotated[Principal, Depends(_recorder)]


@router.get(
    "/awaiting",
    response_model=Page[AwaitingInspection],
    summary="Lots at qa_pending whose current inspection round is not completed, newest first",
)
async def list_awaiting_inspections(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AwaitingInspection]:
    rows, cursor = await service.list_awaiting(session, principal, page, lot_id)
    items = [
        AwaitingInspection(
            id=lot.id,
            lot_id=lot.id,
            lot_number=lot.number,
            order_id=lot.order_id,
            plant_id=lot.plant_id,
            customer_tenant_id=lot.customer_tenant_id,
            quantity=lot.quantity,
            round=lot.qa_round,
            inspection_id=inspection_id,
            created_at=lot.gate_changed_at,
        )
        for lot, inspection_id in rows
    ]
    return Page(items=items, next_cursor=cursor)


@router.get("", response_model=Page[Inspection], summary="Inspections, newest first")
async def list_inspections(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
) -> Page[Inspection]:
    rows, cursor = await service.list_inspections(session, principal, page, lot_id, status)
    return Page(items=[Inspection.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{inspection_id}",
    response_model=Inspection,
    summary="One inspection: plan, status, verdict and counts",
    responses=errors(service.InspectionNotFound),
)
async def get_inspection(
    principal: Reader, session: TenantSession, inspection_id: uuid.UUID, response: Response
) -> Inspection:
    found = await service.get_inspection(session, principal, inspection_id)
    set_etag(response, found.version)
    return Inspection.model_validate(found)


@router.get(
    "/{inspection_id}/results",
    response_model=list[CheckResult],
    summary="The check results of an inspection (one per item and sample unit)",
    responses=errors(service.InspectionNotFound),
)
async def list_check_results(
    principal: Reader, session: TenantSession, inspection_id: uuid.UUID
) -> list[CheckResult]:
    found = await service.get_inspection(session, principal, inspection_id)
    return [CheckResult.model_validate(r) for r in await service.list_results(session, found)]


@router.get(
    "/{inspection_id}/defects",
    response_model=list[Defect],
    summary="The defects recorded on an inspection",
    responses=errors(service.InspectionNotFound),
)
async def list_defects(
    principal: Reader, session: TenantSession, inspection_id: uuid.UUID
) -> list[Defect]:
    found = await service.get_inspection(session, principal, inspection_id)
    return [Defect.model_validate(d) for d in await service.list_defects(session, found)]


@router.post(
    "/{inspection_id}/assign",
    response_model=Inspection,
    summary="Assign the inspection to an inspector of the lot's plant",
    description=(
        "The assignee must hold the INSPECTOR role (or a role granting `inspections:write`) "
        "in the tenant, tenant-wide or for the lot's plant: identity is asked with the "
        "caller's token (422 `assignee_not_inspector`; 403 `assignee_not_visible` when the "
        "token may not read users)."
    ),
    responses=errors(
        service.InspectionNotFound,
        service.InvalidInspectionState,
        MissingPermission,
        AssigneeNotInspector,
        AssigneeNotVisible,
        IdentityUnavailable,
        412,
    ),
)
async def assign_inspection(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    body: AssignBody,
    request: Request,
    response: Response,
) -> Inspection:
    found = await service.get_inspection(session, principal, inspection_id, for_update=True)
    check_if_match(request, found.version, Inspection.model_validate(found))
    done = await service.assign(
        session,
        principal,
        found,
        body.inspector_id,
        identity=request.app.state.identity,
        token=bearer_token(request.headers.get("authorization")),
    )
    set_etag(response, done.version)
    return Inspection.model_validate(done)


@router.post(
    "/{inspection_id}/start",
    response_model=Inspection,
    summary="Start the inspection (unassigned: the caller takes it)",
    responses=errors(
        service.InspectionNotFound,
        service.InvalidInspectionState,
        service.SamplingDiscontinued,
        service.NotAssignee,
        WrongSpace,
        412,
    ),
)
async def start_inspection(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    request: Request,
    response: Response,
) -> Inspection:
    found = await service.get_inspection(session, principal, inspection_id, for_update=True)
    check_if_match(request, found.version, Inspection.model_validate(found))
    done = await service.start(session, principal, found)
    set_etag(response, done.version)
    return Inspection.model_validate(done)


@router.put(
    "/{inspection_id}/results",
    response_model=ResultsRecorded,
    summary="Record results (per checklist item and sample unit); measurements are judged "
    "against target and tolerance",
    responses=errors(
        service.InspectionNotFound,
        service.InvalidInspectionState,
        service.NotAssignee,
        service.InvalidResult,
        412,
    ),
)
async def record_check_results(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    body: ResultsBody,
    request: Request,
    response: Response,
) -> ResultsRecorded:
    """With If-Match, refused (412, the current inspection in `current`) when the
    inspection changed since; each recording raises the inspection's version by one."""
    found = await service.get_inspection(session, principal, inspection_id, for_update=True)
    check_if_match(request, found.version, Inspection.model_validate(found))
    recorded, failed = await service.record_results(session, principal, found, body.results)
    set_etag(response, (await service.touched(session, found)).version)
    return ResultsRecorded(recorded=recorded, failed=failed)


@router.post(
    "/{inspection_id}/defects",
    status_code=201,
    response_model=Defect,
    summary="Record a defect on a sample unit (critical, major or minor)",
    responses=errors(
        service.InspectionNotFound,
        service.InvalidInspectionState,
        service.NotAssignee,
        service.InvalidResult,
        412,
    ),
)
async def create_defect(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    body: DefectCreate,
    request: Request,
    response: Response,
) -> Defect:
    """With If-Match, refused (412, the current inspection in `current`) when the
    inspection changed since; each defect raises the inspection's version by one."""
    found = await service.get_inspection(session, principal, inspection_id, for_update=True)
    check_if_match(request, found.version, Inspection.model_validate(found))
    defect = await service.add_defect(session, principal, found, body)
    set_etag(response, (await service.touched(session, found)).version)
    return Defect.model_validate(defect)


@router.post(
    "/{inspection_id}/complete",
    response_model=Inspection,
    summary="Complete the inspection: the verdict is computed from the results and defects "
    "against the plan's Ac/Re",
    responses=errors(
        service.InspectionNotFound,
        service.InvalidInspectionState,
        service.InspectionIncomplete,
        service.NotAssignee,
        412,
    ),
)
async def complete_inspection(
    principal: Recorder,
    session: TenantSession,
    inspection_id: uuid.UUID,
    request: Request,
    response: Response,
) -> Inspection:
    found = await service.get_inspection(session, principal, inspection_id, for_update=True)
    check_if_match(request, found.version, Inspection.model_validate(found))
    done = await service.complete(session, principal, found)
    set_etag(response, done.version)
    return Inspection.model_validate(done)


assignments_router = APIRouter(prefix="/assignments", tags=["inspections"], responses=AUTH_ERRORS)


@assignments_router.get(
    "/inspections",
    response_model=InspectionAssignmentFeed,
    summary="The caller's inspections for a device's cache, then only what changed",
    responses=errors(400),
)
async def list_inspection_assignments(
    principal: Recorder, session: TenantSession, page: PageQuery
) -> InspectionAssignmentFeed:
    """Without a cursor: the open inspections assigned to the caller. With the
    `next_cursor` of an earlier call: only what changed since (completed ones come back
    with `open: false`). `next_cursor` is always set; `has_more` says to call again."""
    return await service.assignment_feed(session, principal, page)
