"""The job that runs a golden run: `partner.run_golden`.

It reads the run, its target (decrypting the credential only here, in memory), the spec
version and the blueprint's golden cases, runs the engine over an SSRF-guarded client, and
stores each case as it finishes (committed at once, so progress is readable while it runs),
with one trace per exchange. At the end it counts the results, closes the run and emits
`partner.run.completed`. A retried job starts the run's cases afresh.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.jobs import JobContext
from libs.common.ssrf import GuardedTransport
from services.partner.config import Settings
from services.partner.events import RunCompleted, emit
from services.partner.jobs import jobs
from services.partner.mocks import credentials as mock_credentials
from services.partner.models import Project, Run, RunCase, RunTarget
from services.partner.runs import repository as repo
from services.partner.runs import secrets
from services.partner.runs.cases import GoldenCase
from services.partner.runs.engine import CaseResult, SuiteOptions, Target, run_suite
from services.partner.traces.service import record_trace

FINISHED = {"passed", "failed", "errored"}


def _target(settings: Settings, row: RunTarget, run: Run) -> tuple[Target, bool]:
    """The engine's target, and whether it may be on a private address."""
    headers: dict[str, str] = {}
    if row.credential_encrypted is not None and row.credential_header:
        headers[row.credential_header] = secrets.decrypt(settings, row.credential_encrypted)
    timeout = settings.run_timeout_seconds
    if row.kind == "mock":
        assert row.mock_id is not None
        base = f"{settings.mock_base_url.rstrip('/')}/{row.mock_id}/serve"
        # the mock's own credential (a Target's headers are redacted in every record)
        credential = mock_credentials.mint(
            settings.service_secret,
            mock_id=row.mock_id,
            run_id=run.id,
            tenant_id=run.tenant_id,
            customer_tenant_id=run.customer_tenant_id,
            seconds=settings.mock_credential_seconds,
        )
        headers["Authorization"] = f"Bearer {credential}"
        return Target(base_url=base, headers=headers, timeout=timeout), True
    if row.kind == "owner":
        return Target(base_url=settings.owner_api_url, headers=headers, timeout=timeout), True
    return Target(
        base_url=row.base_url, headers=headers, timeout=timeout
    ), settings.allow_private_targets


async def _store(session: AsyncSession, run: Run, result: CaseResult, position: int) -> None:
    session.add(
        RunCase(
            tenant_id=run.tenant_id,
            customer_tenant_id=run.customer_tenant_id,
            run_id=run.id,
            position=position,
            name=result.name[:300],
            kind=result.kind,
            operation=result.operation,
            result=result.result,
            message=result.message,
            duration_ms=result.duration_ms,
            exchanges=[e.model_dump(mode="json") for e in result.exchanges],
            log=result.log,
        )
    )
    for exchange in result.exchanges:
        response = exchange.response
        await record_trace(
            session,
            tenant_id=run.tenant_id,
            customer_tenant_id=run.customer_tenant_id,
            project_id=run.project_id,
            source="run",
            run_id=run.id,
            operation=result.operation,
            method=exchange.request.method,
            path=httpx.URL(exchange.request.url).path,
            status=response.status if response is not None else None,
            duration_ms=exchange.duration_ms,
            summary=f"{result.name} / {exchange.step}: {result.result} {result.message}",
            request=exchange.request.model_dump(mode="json"),
            response=response.model_dump(mode="json") if response is not None else None,
        )


@jobs.job("partner.run_golden", retries=1)
async def run_golden(ctx: JobContext, *, run_id: str) -> dict[str, Any]:
    settings: Settings = ctx.state.settings
    rid = uuid.UUID(run_id)
    async with ctx.transaction() as session:
        run = await repo.run_for_job(session, rid)
        if run is None or run.status in FINISHED:
            return {"run_id": run_id, "skipped": True}
        target_row = await repo.target_for_job(session, run.target_id)
        project = await session.get(Project, run.project_id)
        assert target_row is not None and project is not None and project.blueprint_id
        spec = await repo.spec_document(session, run.spec_version_id)
        rows = await repo.golden_of(session, run.tenant_id, project.blueprint_id)
        golden = [GoldenCase.model_validate(r.definition) for r in rows][: settings.run_max_cases]
        await repo.delete_cases(session, rid)
        run.status, run.started_at, run.done = "running", datetime.now(UTC), 0
        target, allow_private = _target(settings, target_row, run)
        examples = run.property_examples

    async def on_case(result: CaseResult, done: int, total: int) -> None:
        async with ctx.transaction() as session:
            run = await repo.run_for_job(session, rid)
            assert run is not None
            await _store(session, run, result, done)
            run.done, run.total = done, total
        await ctx.progress(done, total, result.name)

    transport = GuardedTransport(allow_private=allow_private)
    message = None
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=target.timeout, follow_redirects=False
        ) as client:
            await run_suite(
                spec,
                target,
                golden,
                options=SuiteOptions(property_examples=examples),
                client=client,
                on_case=on_case,
            )
    except Exception as exc:  # a spec the engine cannot read: the run errs, no retry helps
        message = f"the run could not complete: {type(exc).__name__}: {str(exc)[:500]}"
    return await _finish(ctx, rid, message)


async def _finish(ctx: JobContext, rid: uuid.UUID, message: str | None) -> dict[str, Any]:
    async with ctx.transaction() as session:
        run = await repo.run_for_job(session, rid)
        assert run is not None
        counts = await repo.count_results(session, rid)
        run.passed, run.failed, run.errored = (counts.get(k, 0) for k in ("pass", "fail", "error"))
        run.total = max(run.total, sum(counts.values()))
        run.message = message
        if message or run.errored:
            run.status = "errored" if not run.failed else "failed"
        else:
            run.status = "failed" if run.failed else "passed"
        if message:
            run.status = "errored"
        run.finished_at = datetime.now(UTC)
        project = await session.get(Project, run.project_id)
        assert project is not None
        event = RunCompleted(
            project_id=run.project_id,
            run_id=run.id,
            status=run.status,
            target=run.target_kind,
            total=run.total,
            passed=run.passed,
            failed=run.failed,
            errored=run.errored,
            finished_at=run.finished_at,
        )
        await emit(
            session, event, project=project, subject=f"projects/{run.project_id}/runs/{run.id}"
        )
        return {"run_id": str(rid), "status": run.status}
