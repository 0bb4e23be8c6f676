from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.production.models import Plant as PlantModel
from services.production.plants import repository as repo
from services.production.plants import service
from services.production.plants.schemas import Plant, PlantCreate, PlantUpdate
from services.production.web import errors, provider

router = APIRouter(prefix="/plants", tags=["plants"])


@router.get("", response_model=Page[Plant], responses=errors())
async def list_plants(
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, provider("plants:read")],
) -> Page[Plant]:
    rows, cursor = await paginate(
        session, repo.list_stmt(principal.tenant_id), page, keys=[PlantModel.id]
    )
    return Page[Plant](items=[Plant.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("", status_code=201, response_model=Plant, responses=errors(409))
async def create_plant(
    body: PlantCreate,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("plants:write")],
) -> Plant:
    plant = await service.create_plant(session, principal.tenant_id, body)
    set_etag(response, plant.version)
    return Plant.model_validate(plant)


@router.get("/{plant_id}", response_model=Plant, responses=errors(404))
async def get_plant(
    plant_id: uuid.UUID,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("plants:read")],
) -> Plant:
    plant = await service.get_plant(session, principal.tenant_id, plant_id)
    set_etag(response, plant.version)
    return Plant.model_validate(plant)


@router.patch("/{plant_id}", response_model=Plant, responses=errors(404, 412))
async def update_plant(
    plant_id: uuid.UUID,
    body: PlantUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Annotated[Principal, provider("plants:write")],
) -> Plant:
    plant = await service.get_plant(session, principal.tenant_id, plant_id)
    check_if_match(request, plant.version)
    plant = await service.update_plant(session, plant, body)
    set_etag(response, plant.version)
    return Plant.model_validate(plant)
