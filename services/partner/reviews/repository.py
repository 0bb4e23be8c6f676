from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Review


def query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(Review).where(
        visible(principal, Review.tenant_id, Review.customer_tenant_id),
        Review.project_id == project_id,
    )


async def get(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, review_id: uuid.UUID
) -> Review | None:
    stmt = query(principal, project_id).where(Review.id == review_id)
    return (await session.scalars(stmt)).one_or_none()


async def open_review(session: AsyncSession, project_id: uuid.UUID) -> Review | None:
    stmt = select(Review).where(Review.project_id == project_id, Review.status == "under_review")
    return (await session.scalars(stmt.limit(1))).first()
