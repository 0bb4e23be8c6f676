"""Golden cases (the owner's), run targets and golden test runs of a partner project."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from libs.common.deps import TenantSession
from libs.common.pagination import Page, PageQuery
from services.partner.access import Owner, Reader, Writer, errors
from services.partner.projects.service import NotABlueprint, NotAPartnerProject, ProjectNotFound
from services.partner.runs import service
from services.partner.runs.export import junit_xml
from services.partner.runs.schemas import (
    GoldenCase,
    GoldenCaseCreate,
    Run,
    RunCase,
    RunComparison,
    RunCreate,
    RunReport,
    RunTarget,
    RunTargetCreate,
)

router = APIRouter(tags=["runs"])
_PROJECT = (ProjectNotFound, NotAPartnerProject)


def _target(row: object) -> RunTarget:
    out = RunTarget.model_validate(row)
    out.has_credential = getattr(row, "credential_encrypted", None) is not None
    return out


@router.post(
    "/projects/{project_id}/golden-cases",
    status_code=201,
    response_model=GoldenCase,
    summary="Add a golden case to a blueprint project (the owner's suite)",
    responses=errors(422, ProjectNotFound, NotABlueprint),
)
async def create_golden_case(
    caller: Owner, session: TenantSession, project_id: uuid.UUID, body: GoldenCaseCreate
) -> GoldenCase:
    row = await service.create_golden_case(session, caller, project_id, body)
    return GoldenCase.model_validate(row)


@router.get(
    "/projects/{project_id}/golden-cases",
    response_model=Page[GoldenCase],
    summary="The golden cases of a blueprint project",
    responses=errors(400, ProjectNotFound),
)
async def list_golden_cases(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[GoldenCase]:
    rows, cursor = await service.list_golden_cases(session, caller, project_id, page)
    return Page(items=[GoldenCase.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/projects/{project_id}/targets",
    status_code=201,
    response_model=RunTarget,
    summary="Save a run target: the partner's mock, its sandbox, or the owner's API",
    description="The credential is stored encrypted and never returned (`has_credential`). "
    "A sandbox URL must be public https (the SSRF guard).",
    responses=errors(422, *_PROJECT, service.UnsafeTarget),
)
async def create_run_target(
    caller: Writer,
    session: TenantSession,
    request: Request,
    project_id: uuid.UUID,
    body: RunTargetCreate,
) -> RunTarget:
    row = await service.create_target(session, caller, request.app.state.settings, project_id, body)
    return _target(row)


@router.get(
    "/projects/{project_id}/targets",
    response_model=Page[RunTarget],
    summary="The project's run targets",
    responses=errors(400, *_PROJECT),
)
async def list_run_targets(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[RunTarget]:
    rows, cursor = await service.list_targets(session, caller, project_id, page)
    return Page(items=[_target(r) for r in rows], next_cursor=cursor)


@router.post(
    "/projects/{project_id}/runs",
    status_code=202,
    response_model=Run,
    summary="Start a golden run (a background job; poll the run for progress)",
    responses=errors(
        422,
        *_PROJECT,
        service.TargetNotFound,
        service.NoSpecVersion,
        service.RunQuotaExceeded,
    ),
)
async def start_run(
    caller: Writer,
    session: TenantSession,
    request: Request,
    response: Response,
    project_id: uuid.UUID,
    body: RunCreate,
) -> Run:
    run = await service.start_run(session, caller, request.app.state.settings, project_id, body)
    response.headers["Location"] = f"/runs/{run.id}"
    return Run.model_validate(run)


@router.get(
    "/projects/{project_id}/runs",
    response_model=Page[Run],
    summary="The project's runs, newest first",
    responses=errors(400, *_PROJECT),
)
async def list_runs(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[Run]:
    rows, cursor = await service.list_runs(session, caller, project_id, page)
    return Page(items=[Run.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/runs/{run_id}",
    response_model=Run,
    summary="One run, with its progress (done of total) and counts",
    responses=errors(service.RunNotFound),
)
async def get_run(caller: Reader, session: TenantSession, run_id: uuid.UUID) -> Run:
    return Run.model_validate(await service.get_run(session, caller, run_id))


@router.get(
    "/runs/{run_id}/cases",
    response_model=Page[RunCase],
    summary="The run's cases in the order they finished",
    responses=errors(400, service.RunNotFound),
)
async def list_run_cases(
    caller: Reader,
    session: TenantSession,
    run_id: uuid.UUID,
    page: PageQuery,
    result: Annotated[Literal["pass", "fail", "error"] | None, Query()] = None,
) -> Page[RunCase]:
    rows, cursor = await service.list_cases(session, caller, run_id, page, result)
    return Page(items=[RunCase.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/runs/{run_id}/comparison",
    response_model=RunComparison,
    summary="The run against the project's previous run: newly failing, fixed, still failing",
    responses=errors(service.RunNotFound),
)
async def compare_run(caller: Reader, session: TenantSession, run_id: uuid.UUID) -> RunComparison:
    return await service.compare(session, caller, run_id)


@router.get(
    "/runs/{run_id}/report",
    response_model=RunReport,
    summary="The whole run as JSON, or as JUnit XML with `Accept: application/xml`",
    responses={
        200: {
            "content": {
                "application/json": {},
                "application/xml": {"schema": {"type": "string"}},
            }
        },
        **errors(service.RunNotFound),
    },
)
async def get_run_report(
    caller: Reader, session: TenantSession, request: Request, run_id: uuid.UUID
) -> Response:
    run, cases = await service.all_cases(session, caller, run_id)
    report = RunReport(
        run=Run.model_validate(run), cases=[RunCase.model_validate(c) for c in cases]
    )
    disposition = f'attachment; filename="run-{run_id}'
    if "xml" in request.headers.get("accept", ""):
        return Response(
            junit_xml(report),
            media_type="application/xml",
            headers={"Content-Disposition": f'{disposition}.xml"'},
        )
    return Response(
        report.model_dump_json().encode(),
        media_type="application/json",
        headers={"Content-Disposition": f'{disposition}.json"'},
    )
