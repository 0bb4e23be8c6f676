from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from libs.common.auth import Principal
from libs.common.ids import new_id
from libs.common.visibility import visible
from services.partner.models import Project, SpecVersion


def query(principal: Principal, project_id: uuid.UUID, status: str | None = None) -> Select[Any]:
    stmt = select(SpecVersion).where(
        visible(principal, SpecVersion.tenant_id, SpecVersion.customer_tenant_id),
        SpecVersion.project_id == project_id,
    )
    if status:
        stmt = stmt.where(SpecVersion.status == status)
    return stmt


async def get(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    *,
    document: bool = False,
) -> SpecVersion | None:
    stmt = query(principal, project_id).where(SpecVersion.id == spec_id)
    if document:
        stmt = stmt.options(undefer(SpecVersion.document))
    return (await session.scalars(stmt)).one_or_none()


async def lock_numbers(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Serialise numbering per project for this transaction (an advisory lock: a partner
    may not lock the project row, which it reads but never updates)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"partner.spec_versions:{project_id}"},
    )


async def next_number(session: AsyncSession, project_id: uuid.UUID) -> int:
    top = await session.scalar(
        select(func.max(SpecVersion.number)).where(SpecVersion.project_id == project_id)
    )
    return int(top or 0) + 1


async def copy_latest_accepted(
    session: AsyncSession, blueprint: Project, project: Project, actor: str
) -> uuid.UUID | None:
    """Copy the blueprint's latest accepted version into `project` as its next version, in
    SQL (the document never travels through Python). None when the blueprint has none."""
    latest = await session.scalar(
        select(SpecVersion.id)
        .where(SpecVersion.project_id == blueprint.id, SpecVersion.status == "accepted")
        .order_by(SpecVersion.number.desc())
        .limit(1)
    )
    if latest is None:
        return None
    await lock_numbers(session, project.id)
    number = await next_number(session, project.id)
    new = new_id()
    s = SpecVersion
    source = select(
        literal(new),
        s.tenant_id,
        literal(project.customer_tenant_id, s.customer_tenant_id.type),
        literal(project.id),
        literal(number),
        literal("blueprint"),
        s.id,
        s.format,
        s.openapi_version,
        s.title,
        s.api_version,
        s.document,
        s.size_bytes,
        s.sha256,
        s.operation_count,
        literal("accepted"),
        literal(actor),
        literal("owner"),
        literal(1),
    ).where(s.id == latest)
    cols = [
        "id",
        "tenant_id",
        "customer_tenant_id",
        "project_id",
        "number",
        "source",
        "based_on_id",
        "format",
        "openapi_version",
        "title",
        "api_version",
        "document",
        "size_bytes",
        "sha256",
        "operation_count",
        "status",
        "uploaded_by",
        "uploaded_side",
        "version",
    ]
    await session.execute(insert(SpecVersion).from_select(cols, source))
    return new
