from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy import select

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import NotFound
from services.production.models import MrpRun as RunModel
from services.production.mrp.schemas import MrpPlan, MrpRun, MrpRunCreate
from services.production.mrp.service import compute_plan
from services.production.plants.service import get_plant
from services.production.web import errors, provider

router = APIRouter(prefix="/mrp", tags=["mrp"])


@router.get("/plan", response_model=MrpPlan, responses=errors(404))
async def get_mrp_plan(
    request: Request,
    session: TenantSession,
    principal: Annotated[Principal, provider("mrp:read")],
    plant_id: uuid.UUID | None = None,
) -> MrpPlan:
    """Net requirements now, per plant and SKU: gross need of open orders, stock,
    allocations, shortage, what to buy (reorder level and lot size respected) and the
    pending orders each shortage blocks. Nothing is stored."""
    if plant_id:
        await get_plant(session, principal.tenant_id, plant_id)
    plan = await compute_plan(
        session,
        principal.tenant_id,
        plant_id=plant_id,
        blocked_listed=request.app.state.settings.mrp_blocked_orders_listed,
    )
    return MrpPlan.model_validate(plan)


@router.post("/runs", status_code=201, response_model=MrpRun, responses=errors(404))
async def create_mrp_run(
    body: MrpRunCreate,
    request: Request,
    session: TenantSession,
    principal: Annotated[Principal, provider("mrp:run")],
) -> MrpRun:
    """Compute the plan (as GET /mrp/plan) and keep it, so it can be read back later."""
    if body.plant_id:
        await get_plant(session, principal.tenant_id, body.plant_id)
    plan = MrpPlan.model_validate(
        await compute_plan(
            session,
            principal.tenant_id,
            plant_id=body.plant_id,
            blocked_listed=request.app.state.settings.mrp_blocked_orders_listed,
        )
    )
    run = RunModel(
        tenant_id=principal.tenant_id,
        plant_id=body.plant_id,
        created_by=principal.subject,
        open_orders=plan.summary.open_orders,
        duration_ms=plan.duration_ms,
        result=plan.model_dump(mode="json"),
    )
    session.add(run)
    await session.flush()
    return MrpRun(id=run.id, created_by=run.created_by, created_at=run.created_at, plan=plan)


@router.get("/runs/{run_id}", response_model=MrpRun, responses=errors(404))
async def get_mrp_run(
    run_id: uuid.UUID,
    session: TenantSession,
    principal: Annotated[Principal, provider("mrp:read")],
) -> MrpRun:
    run = await session.scalar(
        select(RunModel).where(RunModel.tenant_id == principal.tenant_id, RunModel.id == run_id)
    )
    if run is None:
        raise NotFound("MRP run not found", code="mrp_run_not_found")
    return MrpRun(
        id=run.id,
        created_by=run.created_by,
        created_at=run.created_at,
        plan=MrpPlan.model_validate(run.result),
    )
