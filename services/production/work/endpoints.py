from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import VersionMismatch
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.production.access import (
    CallerToken,
    Identity,
    PlantNotPermitted,
    errors,
    provider,
    reader,
)
from services.production.models import ProductionOrder as POModel
from services.production.models import StageExecution as StageModel
from services.production.orders.errors import OrderNotFound
from services.production.work import service
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
    LabourClock,
    LabourClockWrite,
    LabourEntry,
    LabourSummary,
    ProductionOrder,
    ProductionOrderCreate,
    ProductionOrderFilters,
    StageAssign,
    StageAssignmentFeed,
    StageBlock,
    StageExecution,
    StageParameters,
    WorkStatus,
)

router = APIRouter(prefix="/production-orders", tags=["production orders"])

Reader = Annotated[Principal, reader("production:read")]
Planner = Annotated[Principal, provider("production:write")]
Operator = Annotated[Principal, provider("production:execute")]
STAGE = "/{production_order_id}/stages/{stage_id}"
STAGE_ERRORS = (
    ProductionOrderNotFound,
    StageNotFound,
    PlantNotPermitted,
    InvalidStageMove,
    VersionMismatch,
)


async def _stage(
    session: AsyncSession,
    principal: Principal,
    request: Request,
    po_id: uuid.UUID,
    stage_id: uuid.UUID,
    perm: str = "production:execute",
) -> tuple[POModel, StageModel]:
    po = await service.get_production_order(session, principal, po_id, perm=perm, for_update=True)
    stage = await service.get_stage(session, po, stage_id)
    # A stale If-Match (a device replaying an offline change) gets the stage as it is now.
    check_if_match(request, stage.version, StageExecution.model_validate(stage))
    return po, stage


async def _stage_out(
    session: AsyncSession, stage: StageModel, response: Response
) -> StageExecution:
    await service.saved(session, stage)
    set_etag(response, stage.version)
    return StageExecution.model_validate(stage)


@router.get("", response_model=Page[ProductionOrder], responses=errors(400))
async def list_production_orders(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    status: WorkStatus | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> Page[ProductionOrder]:
    """Production orders at the plants the caller may read."""
    filters = ProductionOrderFilters(status=status, plant_id=plant_id, order_id=order_id)
    items, cursor = await service.list_production_orders(session, principal, page, filters)
    return Page[ProductionOrder](items=items, next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ProductionOrder,
    responses=errors(OrderNotFound, PlantNotPermitted, OrderNotAllocated, ProductionOrderExists),
)
async def create_production_order(
    body: ProductionOrderCreate, session: TenantSession, response: Response, principal: Planner
) -> ProductionOrder:
    """From an allocated customer order: one stage execution per process stage of its
    product version, with the stage's target parameters."""
    po = await service.create_production_order(session, principal, body.order_id)
    set_etag(response, po.version)
    return (await service.present(session, [po]))[0]


@router.get(
    "/{production_order_id}",
    response_model=ProductionOrder,
    responses=errors(ProductionOrderNotFound, PlantNotPermitted),
)
async def get_production_order(
    production_order_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> ProductionOrder:
    po = await service.get_production_order(session, principal, production_order_id)
    set_etag(response, po.version)
    return (await service.present(session, [po]))[0]


@router.post(
    STAGE + "/assign",
    response_model=StageExecution,
    responses=errors(*STAGE_ERRORS, UnknownOperator),
)
async def assign_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    body: StageAssign,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Planner,
    identity: Identity,
    token: CallerToken,
) -> StageExecution:
    """Assign the stage to a user of the caller's tenant (422 `unknown_operator`)."""
    _, stage = await _stage(
        session, principal, request, production_order_id, stage_id, perm="production:write"
    )
    await service.assign_stage(principal, stage, body.operator, identity=identity, token=token)
    return await _stage_out(session, stage, response)


@router.post(
    STAGE + "/start",
    response_model=StageExecution,
    responses=errors(*STAGE_ERRORS, StageOutOfOrder),
)
async def start_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Operator,
) -> StageExecution:
    """Stages run in order; starting the first one puts an allocated order in production."""
    po, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.start_stage(session, principal, po, stage)
    return await _stage_out(session, stage, response)


@router.post(STAGE + "/parameters", response_model=StageExecution, responses=errors(*STAGE_ERRORS))
async def record_stage_parameters(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    body: StageParameters,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Operator,
) -> StageExecution:
    """Actual values, each compared with its target and tolerance (`within_tolerance`)."""
    _, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.record_parameters(stage, body)
    return await _stage_out(session, stage, response)


@router.post(STAGE + "/complete", response_model=StageExecution, responses=errors(*STAGE_ERRORS))
async def complete_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Operator,
    body: StageParameters | None = None,
) -> StageExecution:
    po, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.complete_stage(session, principal, po, stage, body)
    return await _stage_out(session, stage, response)


@router.post(STAGE + "/block", response_model=StageExecution, responses=errors(*STAGE_ERRORS))
async def block_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    body: StageBlock,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Operator,
) -> StageExecution:
    po, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.block_stage(session, principal, po, stage, body.reason)
    return await _stage_out(session, stage, response)


@router.post(
    STAGE + "/resume",
    response_model=StageExecution,
    responses=errors(*STAGE_ERRORS, StageOutOfOrder),
)
async def resume_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Operator,
) -> StageExecution:
    po, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.resume_stage(session, principal, po, stage)
    return await _stage_out(session, stage, response)


@router.post(
    STAGE + "/clock-in",
    status_code=201,
    response_model=LabourEntry,
    responses=errors(
        ProductionOrderNotFound,
        StageNotFound,
        PlantNotPermitted,
        StageNotActive,
        AlreadyClockedIn,
        InvalidClockTime,
    ),
)
async def clock_in_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: TenantSession,
    principal: Operator,
    body: LabourClock | None = None,
) -> LabourEntry:
    """Clock in now, or (`clocked_at`, a device replaying offline work) at the time the
    worker clocked: last-write-wins by that time, the losing write kept in history."""
    po = await service.get_production_order(
        session, principal, production_order_id, perm="production:execute"
    )
    stage = await service.get_stage(session, po, stage_id)
    at = body.clocked_at if body else None
    entry, outcome = await service.clock_in(session, po, stage, principal.subject, at)
    return LabourEntry.model_validate(entry).model_copy(update={"write_outcome": outcome})


@router.post(
    STAGE + "/clock-out",
    response_model=LabourEntry,
    responses=errors(
        ProductionOrderNotFound, StageNotFound, PlantNotPermitted, NotClockedIn, InvalidClockTime
    ),
)
async def clock_out_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: TenantSession,
    principal: Operator,
    body: LabourClock | None = None,
) -> LabourEntry:
    """Clock out now, or at `clocked_at` (last-write-wins by that time)."""
    po = await service.get_production_order(
        session, principal, production_order_id, perm="production:execute"
    )
    stage = await service.get_stage(session, po, stage_id)
    at = body.clocked_at if body else None
    entry, outcome = await service.clock_out(session, stage, principal.subject, at)
    return LabourEntry.model_validate(entry).model_copy(update={"write_outcome": outcome})


@router.get(
    "/{production_order_id}/labour/writes",
    response_model=Page[LabourClockWrite],
    responses=errors(ProductionOrderNotFound, PlantNotPermitted, 400),
)
async def list_labour_clock_writes(
    production_order_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[LabourClockWrite]:
    """Every clock write of the production order, the superseded ones included."""
    po = await service.get_production_order(session, principal, production_order_id)
    rows, cursor = await service.list_clock_writes(session, po, page)
    return Page[LabourClockWrite](
        items=[LabourClockWrite.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.get(
    "/{production_order_id}/labour",
    response_model=LabourSummary,
    responses=errors(ProductionOrderNotFound, PlantNotPermitted),
)
async def get_labour_summary(
    production_order_id: uuid.UUID, session: TenantSession, principal: Reader
) -> LabourSummary:
    """Labour minutes per stage and per operator (open clocks count up to now)."""
    po = await service.get_production_order(session, principal, production_order_id)
    return await service.labour_summary(session, po)


assignments_router = APIRouter(prefix="/assignments", tags=["production orders"])


@assignments_router.get(
    "/stages",
    response_model=StageAssignmentFeed,
    responses=errors(400),
)
async def list_stage_assignments(
    session: TenantSession, page: PageQuery, principal: Operator
) -> StageAssignmentFeed:
    """A device's cache of the caller's stages (orders due in the next 14 days). Without a
    cursor: the open ones. With the `next_cursor` of an earlier call: only what changed
    since (a stage completed since comes back with `open: false`). `next_cursor` is always
    set; `has_more` says to call again at once."""
    return await service.assignment_feed(session, principal, page)
