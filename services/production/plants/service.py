from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import flush_or_conflict
from libs.common.pagination import PageParams
from services.production.models import Plant
from services.production.plants import repository as repo
from services.production.plants.errors import PlantCodeTaken, PlantNotFound
from services.production.plants.schemas import PlantCreate, PlantUpdate


async def list_plants(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Plant], str | None]:
    return await repo.list_page(session, tenant_id, page)


async def create_plant(session: AsyncSession, tenant_id: uuid.UUID, body: PlantCreate) -> Plant:
    plant = Plant(tenant_id=tenant_id, **body.model_dump())
    session.add(plant)
    await flush_or_conflict(
        session,
        {
            "uq_plants_tenant_id_code": PlantCodeTaken(
                f"Plant code {body.code!r} is taken", extra={"field": "code"}
            )
        },
    )
    if plant.is_default:
        await repo.clear_default(session, tenant_id, plant.id)
    return plant


async def get_plant(session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID) -> Plant:
    plant = await repo.get(session, tenant_id, plant_id)
    if plant is None:
        raise PlantNotFound("Plant not found")
    return plant


async def resolve_plant(
    session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID | None
) -> Plant:
    """The named plant, or the tenant's default one."""
    if plant_id is not None:
        return await get_plant(session, tenant_id, plant_id)
    plant = await repo.get_default(session, tenant_id)
    if plant is None:
        raise PlantNotFound("The tenant has no plant yet")
    return plant


async def update_plant(session: AsyncSession, plant: Plant, body: PlantUpdate) -> Plant:
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(plant, field, value)
    await session.flush()
    if body.is_default:
        await repo.clear_default(session, plant.tenant_id, plant.id)
    await session.refresh(plant)
    return plant
