from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound
from services.production.models import Plant
from services.production.plants import repository as repo
from services.production.plants.schemas import PlantCreate, PlantUpdate


async def create_plant(session: AsyncSession, tenant_id: uuid.UUID, body: PlantCreate) -> Plant:
    plant = Plant(tenant_id=tenant_id, **body.model_dump())
    session.add(plant)
    await session.flush()
    if plant.is_default:
        await repo.clear_default(session, tenant_id, plant.id)
    return plant


async def get_plant(session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID) -> Plant:
    plant = await repo.get(session, tenant_id, plant_id)
    if plant is None:
        raise NotFound("Plant not found", code="plant_not_found")
    return plant


async def resolve_plant(
    session: AsyncSession, tenant_id: uuid.UUID, plant_id: uuid.UUID | None
) -> Plant:
    """The named plant, or the tenant's default one."""
    if plant_id is not None:
        return await get_plant(session, tenant_id, plant_id)
    plant = await repo.get_default(session, tenant_id)
    if plant is None:
        raise NotFound("The tenant has no plant yet", code="plant_not_found")
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
