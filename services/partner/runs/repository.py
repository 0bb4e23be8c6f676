"""Every query of golden cases, targets, runs and run cases; tenant scoping lives here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.visibility import owned, visible
from services.partner.models import GoldenCaseRow, Run, RunCase, RunTarget, SpecVersion


def golden_query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(GoldenCaseRow).where(
        owned(principal, GoldenCaseRow.tenant_id), GoldenCaseRow.project_id == project_id
    )


async def golden_of(
    session: AsyncSession, tenant_id: uuid.UUID, project_id: uuid.UUID
) -> list[GoldenCaseRow]:
    stmt = (
        select(GoldenCaseRow)
        .where(GoldenCaseRow.tenant_id == tenant_id, GoldenCaseRow.project_id == project_id)
        .order_by(GoldenCaseRow.id)
    )
    return list((await session.scalars(stmt)).all())


def targets_query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(RunTarget).where(
        visible(principal, RunTarget.tenant_id, RunTarget.customer_tenant_id),
        RunTarget.project_id == project_id,
    )


async def get_target(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, target_id: uuid.UUID
) -> RunTarget | None:
    stmt = targets_query(principal, project_id).where(RunTarget.id == target_id)
    return (await session.scalars(stmt)).one_or_none()


async def latest_spec(session: AsyncSession, project_id: uuid.UUID) -> uuid.UUID | None:
    stmt = (
        select(SpecVersion.id)
        .where(SpecVersion.project_id == project_id)
        .order_by(SpecVersion.number.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def spec_in_project(
    session: AsyncSession, project_id: uuid.UUID, spec_version_id: uuid.UUID
) -> bool:
    stmt = select(SpecVersion.id).where(
        SpecVersion.project_id == project_id, SpecVersion.id == spec_version_id
    )
    return (await session.scalars(stmt)).first() is not None


async def spec_document(session: AsyncSession, spec_version_id: uuid.UUID) -> dict[str, Any]:
    stmt = select(SpecVersion.document).where(SpecVersion.id == spec_version_id)
    return dict((await session.scalars(stmt)).one())


async def runs_since(
    session: AsyncSession, partner_tenant_id: uuid.UUID, since: datetime
) -> list[datetime]:
    stmt = (
        select(Run.created_at)
        .where(Run.customer_tenant_id == partner_tenant_id, Run.created_at >= since)
        .order_by(Run.created_at)
    )
    return list((await session.scalars(stmt)).all())


def runs_query(principal: Principal, project_id: uuid.UUID) -> Select[Any]:
    return select(Run).where(
        visible(principal, Run.tenant_id, Run.customer_tenant_id), Run.project_id == project_id
    )


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> Run | None:
    stmt = select(Run).where(
        visible(principal, Run.tenant_id, Run.customer_tenant_id), Run.id == run_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def run_for_job(session: AsyncSession, run_id: uuid.UUID) -> Run | None:
    # the job runs as the owner's tenant: row-level security scopes it
    return await session.get(Run, run_id, with_for_update=True)


async def target_for_job(session: AsyncSession, target_id: uuid.UUID) -> RunTarget | None:
    return await session.get(RunTarget, target_id)


async def previous_run(session: AsyncSession, run: Run) -> uuid.UUID | None:
    stmt = (
        select(Run.id)
        .where(Run.project_id == run.project_id, Run.id < run.id, Run.tenant_id == run.tenant_id)
        .order_by(Run.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


def cases_query(run: Run) -> Select[Any]:
    return select(RunCase).where(RunCase.run_id == run.id, RunCase.tenant_id == run.tenant_id)


async def all_cases(session: AsyncSession, run: Run) -> list[RunCase]:
    return list((await session.scalars(cases_query(run).order_by(RunCase.position))).all())


async def failing_names(session: AsyncSession, run: Run) -> dict[str, str]:
    stmt = select(RunCase.name, RunCase.result).where(
        RunCase.run_id == run.id, RunCase.tenant_id == run.tenant_id
    )
    return {name: result for name, result in (await session.execute(stmt)).all()}


async def delete_cases(session: AsyncSession, run_id: uuid.UUID) -> None:
    # a retried job starts its cases afresh
    await session.execute(delete(RunCase).where(RunCase.run_id == run_id))


async def count_results(session: AsyncSession, run_id: uuid.UUID) -> dict[str, int]:
    stmt = (
        select(RunCase.result, func.count())
        .where(RunCase.run_id == run_id)
        .group_by(RunCase.result)
    )
    return {result: int(n) for result, n in (await session.execute(stmt)).all()}
