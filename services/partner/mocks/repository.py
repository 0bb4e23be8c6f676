from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Mock, SpecVersion


def query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(Mock).where(
        visible(principal, Mock.tenant_id, Mock.customer_tenant_id), Mock.project_id == project_id
    )


async def get(session: AsyncSession, principal: Principal, mock_id: uuid.UUID) -> Mock | None:
    stmt = select(Mock).where(
        visible(principal, Mock.tenant_id, Mock.customer_tenant_id), Mock.id == mock_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def spec_version(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    spec_version_id: uuid.UUID,
    document: bool = False,
) -> SpecVersion | None:
    stmt = select(SpecVersion).where(
        visible(principal, SpecVersion.tenant_id, SpecVersion.customer_tenant_id),
        SpecVersion.project_id == project_id,
        SpecVersion.id == spec_version_id,
    )
    if document:
        stmt = stmt.options(undefer(SpecVersion.document))
    return (await session.scalars(stmt)).one_or_none()


async def count_call(session: AsyncSession, mock_id: uuid.UUID) -> None:
    """Atomic: concurrent calls never lose a count (and the version stays the ETag's)."""
    await session.execute(
        update(Mock)
        .where(Mock.id == mock_id)
        .values(calls=Mock.calls + 1)
        .execution_options(synchronize_session=False)
    )
