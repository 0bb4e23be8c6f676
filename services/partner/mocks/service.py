"""Mocks: a partner (or the owner) starts a mock of one of the project's spec versions,
calls it under `/mocks/{mock_id}/serve/...`, and stops it. Every call, valid or not, is
recorded as a trace in the same transaction as its answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound, ResourceConflict, Unprocessable, problem_body
from libs.common.pagination import PageParams, paginate
from services.partner.access import Caller
from services.partner.mocks import postman, responder
from services.partner.mocks import repository as repo
from services.partner.models import Mock, SpecVersion
from services.partner.projects import service as projects
from services.partner.runs.redact import Redactor, bounded
from services.partner.traces.service import record_trace


class MockNotFound(NotFound):
    code = "mock_not_found"
    title = "Mock not found"


class SpecVersionNotFound(NotFound):
    code = "spec_version_not_found"
    title = "Spec version not found in this project"


class MockSpecInvalid(Unprocessable):
    code = "mock_spec_invalid"
    title = "The spec version is not a valid OpenAPI document: it cannot be mocked"


class MockStopped(ResourceConflict):
    code = "mock_stopped"
    title = "The mock is stopped"


@dataclass(frozen=True, slots=True)
class Served:
    status: int
    content_type: str | None
    body: Any


def base_path(mock: Mock) -> str:
    return f"/mocks/{mock.id}/serve"


async def start_mock(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, spec_version_id: uuid.UUID
) -> Mock:
    project = await projects.get_partner_project(session, caller, project_id)
    spec = await _spec(session, caller, project_id, spec_version_id, document=True)
    try:
        # building the validator checks the whole document (seconds for a large spec): off
        # the event loop, so the service keeps answering meanwhile
        await asyncio.to_thread(responder.validator, _key(spec), spec.document)
    except Exception as exc:  # openapi-core refuses the document: a 422 with its reason
        raise MockSpecInvalid(str(exc)[:500]) from exc
    assert project.customer_tenant_id is not None
    mock = Mock(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        spec_version_id=spec.id,
        status="running",
        calls=0,
        started_by=caller.subject,
    )
    session.add(mock)
    await session.flush()
    return mock


async def list_mocks(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_project(session, caller, project_id)
    return await paginate(session, repo.query(caller.principal, project_id), page, keys=[Mock.id])


async def get_mock(session: AsyncSession, caller: Caller, mock_id: uuid.UUID) -> Mock:
    found = await repo.get(session, caller.principal, mock_id)
    if found is None:
        raise MockNotFound(f"Mock {mock_id} not found")
    return found


async def stop_mock(session: AsyncSession, caller: Caller, mock_id: uuid.UUID) -> Mock:
    mock = await get_mock(session, caller, mock_id)
    if mock.status != "stopped":
        mock.status = "stopped"
        mock.stopped_by = caller.subject
        mock.stopped_at = datetime.now(UTC)
        await session.flush()
    return mock


async def serve(
    session: AsyncSession,
    caller: Caller,
    mock_id: uuid.UUID,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> Served:
    """The mock's answer; refusals of the request itself (unknown operation, invalid
    request) are answered, not raised, so that their trace is kept."""
    started = time.perf_counter()
    mock = await get_mock(session, caller, mock_id)
    if mock.status != "running":
        raise MockStopped(extra={"mock_id": str(mock_id)})
    spec = await _spec(session, caller, mock.project_id, mock.spec_version_id, document=True)
    path = "/" + path.lstrip("/")
    operation = responder.match(spec.document, method, path)
    if operation is None:
        served = Served(
            404,
            "application/problem+json",
            problem_body(
                404,
                "mock_operation_not_found",
                "No operation of the spec answers this method and path",
                f"{method.upper()} {path}",
            ),
        )
    else:
        api = responder.cached_validator(_key(spec))
        if api is None:
            api = await asyncio.to_thread(responder.validator, _key(spec), spec.document)
        errors = responder.validate(api, method, path, query, headers, body)
        if errors:
            served = Served(
                422,
                "application/problem+json",
                problem_body(
                    422,
                    "mock_request_invalid",
                    "The request does not match the spec",
                    f"{len(errors)} validation error(s) for {operation.operation_id or path}",
                    errors=errors,
                ),
            )
        else:
            answer = responder.answer(spec.document, operation)
            served = Served(answer.status, answer.content_type, answer.body)
    await repo.count_call(session, mock.id)
    redact = Redactor()
    shown = orjson.dumps(served.body).decode() if served.body is not None else ""
    problems = served.body.get("errors") if served.status == 422 else None
    await record_trace(
        session,
        tenant_id=mock.tenant_id,
        customer_tenant_id=mock.customer_tenant_id,
        project_id=mock.project_id,
        source="mock",
        mock_id=mock.id,
        operation=operation.operation_id if operation else None,
        method=method.upper(),
        path=path,
        status=served.status,
        duration_ms=(time.perf_counter() - started) * 1000,
        summary=f"mock {method.upper()} {path} -> {served.status}"
        + (f": {orjson.dumps(problems).decode()}" if problems else ""),
        request={
            "headers": redact.headers(headers),
            "query": [[k, v] for k, v in query],
            "body": redact.body(body),
        },
        response={
            "headers": {"content-type": served.content_type or ""},
            "body": bounded(shown),
        },
    )
    return served


async def postman_collection(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, spec_version_id: uuid.UUID
) -> dict[str, Any]:
    await projects.get_project(session, caller, project_id)
    spec = await _spec(session, caller, project_id, spec_version_id, document=True)
    name = f"{spec.title} {spec.api_version} (v{spec.number})"
    return postman.collection(spec.document, name, str(spec.id))


async def _spec(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    spec_version_id: uuid.UUID,
    document: bool = False,
) -> SpecVersion:
    found = await repo.spec_version(
        session, caller.principal, project_id, spec_version_id, document
    )
    if found is None:
        raise SpecVersionNotFound(f"Spec version {spec_version_id} not found")
    return found


def _key(spec: SpecVersion) -> str:
    return f"{spec.id}:{spec.sha256}"
