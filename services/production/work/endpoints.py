from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.production.models import ProductionOrder as POModel
from services.production.models import StageExecution as StageModel
from services.production.web import errors, provider
from services.production.work import repository as repo
from services.production.work import service
from services.production.work.schemas import (
    LabourEntry,
    LabourSummary,
    ProductionOrder,
    ProductionOrderCreate,
    StageAssign,
    StageBlock,
    StageExecution,
    StageParameters,
    WorkStatus,
)

router = APIRouter(prefix="/production-orders", tags=["production orders"])

Reader = Annotated[Principal, provider("production:read")]
Planner = Annotated[Principal, provider("production:write")]
Operator = Annotated[Principal, provider("production:execute")]
STAGE = "/{production_order_id}/stages/{stage_id}"


async def _out(session: AsyncSession, pos: list[POModel]) -> list[ProductionOrder]:
    stages: dict[uuid.UUID, list[StageModel]] = {}
    for st in await repo.stages(session, [p.id for p in pos]):
        stages.setdefault(st.production_order_id, []).append(st)
    return [
        ProductionOrder.model_validate(p).model_copy(
            update={"stages": [StageExecution.model_validate(s) for s in stages.get(p.id, [])]}
        )
        for p in pos
    ]


async def _stage(
    session: AsyncSession,
    principal: Principal,
    request: Request,
    po_id: uuid.UUID,
    stage_id: uuid.UUID,
) -> tuple[POModel, StageModel]:
    po = await service.get_production_order(session, principal.tenant_id, po_id, for_update=True)
    stage = await service.get_stage(session, po, stage_id)
    check_if_match(request, stage.version)
    return po, stage


async def _stage_out(
    session: AsyncSession, stage: StageModel, response: Response
) -> StageExecution:
    await session.flush()
    await session.refresh(stage)
    set_etag(response, stage.version)
    return StageExecution.model_validate(stage)


@router.get("", response_model=Page[ProductionOrder], responses=errors())
async def list_production_orders(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    status: WorkStatus | None = None,
    plant_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> Page[ProductionOrder]:
    stmt = repo.list_stmt(principal.tenant_id, status=status, plant_id=plant_id, order_id=order_id)
    rows, cursor = await paginate(session, stmt, page, keys=[POModel.id])
    return Page[ProductionOrder](items=await _out(session, rows), next_cursor=cursor)


@router.post("", status_code=201, response_model=ProductionOrder, responses=errors(404, 409))
async def create_production_order(
    body: ProductionOrderCreate, session: TenantSession, response: Response, principal: Planner
) -> ProductionOrder:
    """From an allocated customer order: one stage execution per process stage of its
    product version, with the stage's target parameters."""
    po = await service.create_production_order(session, principal, body.order_id)
    set_etag(response, po.version)
    return (await _out(session, [po]))[0]


@router.get("/{production_order_id}", response_model=ProductionOrder, responses=errors(404))
async def get_production_order(
    production_order_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> ProductionOrder:
    po = await service.get_production_order(session, principal.tenant_id, production_order_id)
    set_etag(response, po.version)
    return (await _out(session, [po]))[0]


@router.post(STAGE + "/assign", response_model=StageExecution, responses=errors(404, 409, 412))
async def assign_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    body: StageAssign,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Planner,
) -> StageExecution:
    _, stage = await _stage(session, principal, request, production_order_id, stage_id)
    await service.assign_stage(stage, body.operator)
    return await _stage_out(session, stage, response)


@router.post(STAGE + "/start", response_model=StageExecution, responses=errors(404, 409, 412))
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


@router.post(STAGE + "/parameters", response_model=StageExecution, responses=errors(404, 409, 412))
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


@router.post(STAGE + "/complete", response_model=StageExecution, responses=errors(404, 409, 412))
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


@router.post(STAGE + "/block", response_model=StageExecution, responses=errors(404, 409, 412))
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


@router.post(STAGE + "/resume", response_model=StageExecution, responses=errors(404, 409, 412))
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
    STAGE + "/clock-in", status_code=201, response_model=LabourEntry, responses=errors(404, 409)
)
async def clock_in_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: TenantSession,
    principal: Operator,
) -> LabourEntry:
    po = await service.get_production_order(session, principal.tenant_id, production_order_id)
    stage = await service.get_stage(session, po, stage_id)
    entry = await service.clock_in(session, po, stage, principal.subject)
    return LabourEntry.model_validate(entry)


@router.post(STAGE + "/clock-out", response_model=LabourEntry, responses=errors(404, 409))
async def clock_out_stage(
    production_order_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: TenantSession,
    principal: Operator,
) -> LabourEntry:
    po = await service.get_production_order(session, principal.tenant_id, production_order_id)
    stage = await service.get_stage(session, po, stage_id)
    entry = await service.clock_out(session, stage, principal.subject)
    return LabourEntry.model_validate(entry)


@router.get("/{production_order_id}/labour", response_model=LabourSummary, responses=errors(404))
async def get_labour_summary(
    production_order_id: uuid.UUID, session: TenantSession, principal: Reader
) -> LabourSummary:
    """Labour minutes per stage and per operator (open clocks count up to now)."""
    po = await service.get_production_order(session, principal.tenant_id, production_order_id)
    return await service.labour_summary(session, po)
