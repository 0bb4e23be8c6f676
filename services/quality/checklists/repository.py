from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.quality.models import Checklist, ChecklistItem


def query(tenant_id: uuid.UUID, product_sku: str | None, status: str | None) -> Select[Any]:
    stmt = (
        select(Checklist)
        .where(Checklist.tenant_id == tenant_id)
        .options(selectinload(Checklist.items))
    )
    if product_sku:
        stmt = stmt.where(Checklist.product_sku == product_sku)
    if status:
        stmt = stmt.where(Checklist.status == status)
    return stmt


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, checklist_id: uuid.UUID
) -> Checklist | None:
    return (
        await session.scalars(query(tenant_id, None, None).where(Checklist.id == checklist_id))
    ).one_or_none()


async def active_for(
    session: AsyncSession, tenant_id: uuid.UUID, product_sku: str, versions: list[str]
) -> Checklist | None:
    """The active checklist of the product version (named by number or by production's
    version id), else the product's newest active checklist."""
    stmt = query(tenant_id, product_sku, "active")
    if versions:
        exact = (
            await session.scalars(
                stmt.where(Checklist.product_version.in_(versions))
                .order_by(Checklist.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if exact is not None:
            return exact
    return (await session.scalars(stmt.order_by(Checklist.id.desc()).limit(1))).one_or_none()


async def retire_others(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product_sku: str,
    product_version: str,
    keep: uuid.UUID,
) -> None:
    await session.execute(
        update(Checklist)
        .where(
            Checklist.tenant_id == tenant_id,
            Checklist.product_sku == product_sku,
            Checklist.product_version == product_version,
            Checklist.status == "active",
            Checklist.id != keep,
        )
        .values(status="retired", version=Checklist.version + 1)
        .execution_options(synchronize_session=False)
    )


async def items(session: AsyncSession, checklist_id: uuid.UUID) -> list[ChecklistItem]:
    return list(
        (
            await session.scalars(
                select(ChecklistItem)
                .where(ChecklistItem.checklist_id == checklist_id)
                .order_by(ChecklistItem.position)
            )
        ).all()
    )
