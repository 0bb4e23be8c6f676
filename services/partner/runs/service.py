"""Golden cases, run targets and runs: the rules.

A run belongs to a partner project; the partner (or the owner) starts it against one of the
project's targets: the partner's mock, its sandbox (a URL that must pass the SSRF guard) or
the owner's API with the partner's sandbox credential. The run itself is a job
(`partner.run_golden`, see worker.py); this module queues it, enforces the per-partner quota
and reads results back: runs, their cases, the comparison with the previous run, the report.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import set_tenant
from libs.common.errors import NotFound, RateLimited, Unprocessable
from libs.common.pagination import PageParams, paginate
from libs.common.ssrf import UnsafeUrl, check_url
from services.partner.access import Caller, Side
from services.partner.config import Settings
from services.partner.models import GoldenCaseRow, Run, RunCase, RunTarget
from services.partner.projects import service as projects
from services.partner.runs import repository as repo
from services.partner.runs import secrets
from services.partner.runs.cases import GoldenCase
from services.partner.runs.schemas import (
    GoldenCaseCreate,
    RunComparison,
    RunCreate,
    RunTargetCreate,
)
from services.partner.runs.worker import run_golden


class RunNotFound(NotFound):
    code = "run_not_found"
    title = "Run not found"


class TargetNotFound(NotFound):
    code = "run_target_not_found"
    title = "Run target not found"


class UnsafeTarget(Unprocessable):
    code = "unsafe_target"
    title = "The target URL is not allowed (it must be public https)"


class NoSpecVersion(Unprocessable):
    code = "no_spec_version"
    title = "The project has no such spec version to run against"


class RunQuotaExceeded(RateLimited):
    code = "run_quota_exceeded"
    title = "This partner has started its quota of runs for the hour"


QUOTA_WINDOW = timedelta(hours=1)


# -- golden cases (the owner's, on a blueprint project) ---------------------------------


async def create_golden_case(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, data: GoldenCaseCreate
) -> GoldenCaseRow:
    project = await projects.get_project(session, caller, project_id)
    if project.kind != "blueprint":
        raise projects.NotABlueprint(extra={"project_id": str(project_id)})
    case = GoldenCase.model_validate(data.model_dump())
    row = GoldenCaseRow(
        tenant_id=caller.owner_tenant_id,
        project_id=project.id,
        name=case.name,
        definition=case.model_dump(mode="json"),
        created_by=caller.subject,
    )
    session.add(row)
    await session.flush()
    return row


async def list_golden_cases(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_project(session, caller, project_id)
    stmt = repo.golden_query(caller.principal, project_id)
    return await paginate(session, stmt, page, keys=[GoldenCaseRow.id])


# -- targets ----------------------------------------------------------------------------


async def create_target(
    session: AsyncSession,
    caller: Caller,
    settings: Settings,
    project_id: uuid.UUID,
    data: RunTargetCreate,
) -> RunTarget:
    project = await projects.get_partner_project(session, caller, project_id)
    base_url = ""
    if data.kind == "sandbox":
        assert data.base_url is not None
        try:
            await check_url(data.base_url, allow_private=settings.allow_private_targets)
        except UnsafeUrl as exc:
            raise UnsafeTarget(str(exc), extra={"base_url": data.base_url}) from None
        base_url = data.base_url.rstrip("/")
    assert project.customer_tenant_id is not None
    target = RunTarget(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        kind=data.kind,
        name=data.name,
        base_url=base_url,
        mock_id=data.mock_id,
        credential_header=data.credential_header if data.credential else None,
        credential_encrypted=secrets.encrypt(settings, data.credential)
        if data.credential
        else None,
        created_by=caller.subject,
    )
    session.add(target)
    await session.flush()
    return target


async def list_targets(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    stmt = repo.targets_query(caller.principal, project_id)
    return await paginate(session, stmt, page, keys=[RunTarget.id])


# -- runs -------------------------------------------------------------------------------


async def start_run(
    session: AsyncSession,
    caller: Caller,
    settings: Settings,
    project_id: uuid.UUID,
    data: RunCreate,
) -> Run:
    project = await projects.get_partner_project(session, caller, project_id)
    target = await repo.get_target(session, caller.principal, project.id, data.target_id)
    if target is None:
        raise TargetNotFound(extra={"target_id": str(data.target_id)})
    spec_id = data.spec_version_id or await repo.latest_spec(session, project.id)
    if spec_id is None or not await repo.spec_in_project(session, project.id, spec_id):
        raise NoSpecVersion(extra={"spec_version_id": str(spec_id) if spec_id else None})
    assert project.customer_tenant_id is not None
    await _check_quota(session, settings, project.customer_tenant_id)
    run = Run(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        target_id=target.id,
        target_kind=target.kind,
        spec_version_id=spec_id,
        status="queued",
        property_examples=data.property_examples,
        total=0,
        done=0,
        passed=0,
        failed=0,
        errored=0,
        created_by=caller.subject,
    )
    session.add(run)
    await session.flush()
    run.previous_run_id = await repo.previous_run(session, run)
    run.job_id = await _defer(session, caller, run)
    await session.flush()
    return run


async def _defer(session: AsyncSession, caller: Caller, run: Run) -> uuid.UUID:
    """Queue the run's job, acting for the owner (the run is the owner's row, made for the
    partner). The kit's job record is the owner's alone, which a partner's session may not
    write: for a partner, the one statement runs as the owner, in the same transaction, after
    the partner was shown to reach this project."""
    if caller.side != Side.PARTNER:
        return await run_golden.defer(session, tenant_id=run.tenant_id, run_id=str(run.id))
    await set_tenant(session, run.tenant_id)
    job_id = await run_golden.defer(session, tenant_id=run.tenant_id, run_id=str(run.id))
    principal = caller.principal
    await set_tenant(session, principal.tenant_id, parent_tenant_id=principal.parent_tenant_id)
    return job_id


async def _check_quota(session: AsyncSession, settings: Settings, partner: uuid.UUID) -> None:
    now = datetime.now(UTC)
    started = await repo.runs_since(session, partner, now - QUOTA_WINDOW)
    if len(started) >= settings.runs_per_hour:
        oldest = started[len(started) - settings.runs_per_hour]
        retry = max(1, int((oldest + QUOTA_WINDOW - now).total_seconds()) + 1)
        raise RunQuotaExceeded(
            f"{settings.runs_per_hour} runs an hour; the next may start in {retry} s",
            headers={"Retry-After": str(retry)},
            extra={"limit": settings.runs_per_hour},
        )


async def list_runs(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    return await paginate(
        session, repo.runs_query(caller.principal, project_id), page, keys=[Run.id]
    )


async def get_run(session: AsyncSession, caller: Caller, run_id: uuid.UUID) -> Run:
    run = await repo.get_run(session, caller.principal, run_id)
    if run is None:
        raise RunNotFound(f"Run {run_id} not found")
    return run


async def list_cases(
    session: AsyncSession, caller: Caller, run_id: uuid.UUID, page: PageParams, result: str | None
) -> tuple[list[Any], str | None]:
    run = await get_run(session, caller, run_id)
    stmt = repo.cases_query(run)
    if result:
        stmt = stmt.where(RunCase.result == result)
    return await paginate(session, stmt, page, keys=[RunCase.position], descending=False)


async def all_cases(
    session: AsyncSession, caller: Caller, run_id: uuid.UUID
) -> tuple[Run, list[RunCase]]:
    run = await get_run(session, caller, run_id)
    return run, await repo.all_cases(session, run)


async def compare(session: AsyncSession, caller: Caller, run_id: uuid.UUID) -> RunComparison:
    run = await get_run(session, caller, run_id)
    now = await repo.failing_names(session, run)
    before: dict[str, str] = {}
    if run.previous_run_id is not None:
        previous = await repo.get_run(session, caller.principal, run.previous_run_id)
        if previous is not None:
            before = await repo.failing_names(session, previous)

    def bad(results: dict[str, str], name: str) -> bool:
        return results.get(name, "pass") != "pass"

    return RunComparison(
        run_id=run.id,
        previous_run_id=run.previous_run_id,
        newly_failing=sorted(n for n in now if bad(now, n) and not bad(before, n)),
        fixed=sorted(n for n in now if not bad(now, n) and bad(before, n)),
        still_failing=sorted(n for n in now if bad(now, n) and bad(before, n)),
    )
