from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import PreconditionFailed
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.production.access import errors, provider, reader
from services.production.plants import service
from services.production.plants.errors import PlantCodeTaken, PlantNotFound
from services.production.plants.schemas import Plant, PlantCreate, PlantUpdate

router = APIRouter(prefix="/plants", tags=["plants"])


@router.get("", response_model=Page[Plant], responses=errors())
async def list_plants(
    session: TenantSession,
    page: PageQuery,
    principal: Annotated[Principal, reader("plants:read")],
) -> Page[Plant]:
    rows, cursor = await service.list_plants(session, principal.tenant_id, page)
    return Page[Plant](items=[Plant.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("", status_code=201, response_model=Plant, responses=errors(PlantCodeTaken))
async def create_plant(
    body: PlantCreate,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, provider("plants:write")],
) -> Plant:
    plant = await service.create_plant(session, principal.tenant_id, body)
    set_etag(response, plant.version)
    return Plant.model_validate(plant)


@router.get("/{plant_id}", response_model=Plant, responses=errors(PlantNotFound))
async def get_plant(
    plant_id: uuid.UUID,
    session: TenantSession,
    response: Response,
    principal: Annotated[Principal, reader("plants:read")],
) -> Plant:
    plant = await service.get_plant(session, principal.tenant_id, plant_id)
    set_etag(response, plant.version)
    return Plant.model_validate(plant)


@router.patch(
    "/{plant_id}", response_model=Plant, responses=errors(PlantNotFound, PreconditionFailed)
)
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
