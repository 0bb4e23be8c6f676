from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from services.production.access import PlantNotPermitted, errors, provider, reader
from services.production.mrp import service
from services.production.mrp.schemas import MrpPlan, MrpRun, MrpRunCreate
from services.production.plants.errors import PlantNotFound

router = APIRouter(prefix="/mrp", tags=["mrp"])


@router.get(
    "/plan",
    response_model=MrpPlan,
    responses=errors(PlantNotFound, PlantNotPermitted),
)
async def get_mrp_plan(
    request: Request,
    session: TenantSession,
    principal: Annotated[Principal, reader("mrp:read")],
    plant_id: uuid.UUID | None = None,
) -> MrpPlan:
    """Net requirements now, per plant and SKU (at the plants the caller may read): gross
    need of open orders in each item's stock unit (an order whose BOM unit cannot be
    converted counts as blocked on that SKU), stock, allocations, shortage, what to
    buy (reorder level and lot size respected) and the pending orders each shortage
    blocks. Nothing is stored."""
    limit = request.app.state.settings.mrp_blocked_orders_listed
    return await service.get_plan(session, principal, plant_id, limit)


@router.post(
    "/runs",
    status_code=201,
    response_model=MrpRun,
    responses=errors(PlantNotFound, PlantNotPermitted),
)
async def create_mrp_run(
    body: MrpRunCreate,
    request: Request,
    session: TenantSession,
    principal: Annotated[Principal, provider("mrp:run")],
) -> MrpRun:
    """Compute the plan (as GET /mrp/plan) and keep it, so it can be read back later."""
    limit = request.app.state.settings.mrp_blocked_orders_listed
    return await service.create_run(session, principal, body.plant_id, limit)


@router.get("/runs/{run_id}", response_model=MrpRun, responses=errors(service.MrpRunNotFound))
async def get_mrp_run(
    run_id: uuid.UUID,
    session: TenantSession,
    principal: Annotated[Principal, reader("mrp:read")],
) -> MrpRun:
    return await service.get_run(session, principal, run_id)
