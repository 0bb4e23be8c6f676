"""Checklists per product version. A checklist is never edited once inspections may use
it: a new one for the same product version retires the previous one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import NotFound
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from services.quality.checklists import repository as repo
from services.quality.checklists.schemas import ChecklistCreate
from services.quality.models import Checklist, ChecklistItem
from services.quality.products import repository as products_repo


class ChecklistNotFound(NotFound):
    code, title = "checklist_not_found", "Checklist not found"


async def create_checklist(
    session: AsyncSession, principal: Principal, body: ChecklistCreate
) -> Checklist:
    checklist = Checklist(
        id=new_id(),
        tenant_id=principal.tenant_id,
        product_sku=body.product_sku,
        product_version=body.product_version,
        name=body.name,
        status="active",
        sampling=body.sampling.model_dump() if body.sampling else None,
    )
    checklist.items = [
        ChecklistItem(
            id=new_id(),
            tenant_id=principal.tenant_id,
            category=item.category,
            label=item.label,
            description=item.description,
            position=item.position if item.position is not None else index,
            mandatory=item.mandatory,
            check_type=item.check_type,
            target=item.target,
            tolerance=item.tolerance,
            unit=item.unit,
        )
        for index, item in enumerate(body.items)
    ]
    session.add(checklist)
    await products_repo.ensure_product(session, principal.tenant_id, body.product_sku)
    await session.flush()
    await repo.retire_others(
        session, principal.tenant_id, body.product_sku, body.product_version, checklist.id
    )
    return await get_checklist(session, principal, checklist.id)


async def get_checklist(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID
) -> Checklist:
    found = await repo.get(session, principal.tenant_id, checklist_id)
    if found is None:
        raise ChecklistNotFound("Checklist not found")
    return found


async def list_checklists(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    product_sku: str | None,
    status: str | None,
) -> tuple[list[Checklist], str | None]:
    return await paginate(
        session, repo.query(principal.tenant_id, product_sku, status), page, keys=[Checklist.id]
    )


async def retire_checklist(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID
) -> Checklist:
    found = await get_checklist(session, principal, checklist_id)
    found.status = "retired"
    await session.flush()
    return found
