"""Mocks of spec versions, the calls they answer, and Postman collections."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from libs.common.auth import Space
from libs.common.deps import (
    TenantSession,
    declare_access,
    get_principal,
    optional_bearer,
)
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from libs.common.responses import ORJSONResponse
from services.partner.access import OWNER_READ, Caller, Reader, Writer, as_reader, errors
from services.partner.mocks import credentials, service
from services.partner.mocks.schemas import Mock, MockStart
from services.partner.projects.service import NotAPartnerProject, ProjectNotFound

router = APIRouter(tags=["mocks"])

_SERVED: dict[int | str, dict[str, Any]] = {
    "default": {
        "description": "The mock's answer: the spec's status and example (or a body made "
        "from its schema); 404 `mock_operation_not_found` when no operation of the spec "
        "answers; 422 `mock_request_invalid` (problem+json, with `errors`) when the request "
        "does not match the spec",
        "content": {"application/json": {"schema": {}}, "application/problem+json": {"schema": {}}},
    }
}


def _out(mock: Any) -> Mock:
    return Mock.model_validate(
        {
            "id": mock.id,
            "project_id": mock.project_id,
            "spec_version_id": mock.spec_version_id,
            "status": mock.status,
            "calls": mock.calls,
            "started_by": mock.started_by,
            "stopped_by": mock.stopped_by,
            "stopped_at": mock.stopped_at,
            "created_at": mock.created_at,
            "version": mock.version,
            "base_path": "/v1/partner" + service.base_path(mock),
        }
    )


@router.post(
    "/projects/{project_id}/mocks",
    status_code=201,
    response_model=Mock,
    summary="Start a mock of one of the project's spec versions",
    responses=errors(
        422,
        ProjectNotFound,
        NotAPartnerProject,
        service.SpecVersionNotFound,
        service.MockSpecInvalid,
    ),
)
async def start_mock(
    caller: Writer,
    session: TenantSession,
    project_id: uuid.UUID,
    body: MockStart,
    response: Response,
) -> Mock:
    mock = await service.start_mock(session, caller, project_id, body.spec_version_id)
    set_etag(response, mock.version)
    response.headers["Location"] = f"/mocks/{mock.id}"
    return _out(mock)


@router.get(
    "/projects/{project_id}/mocks",
    response_model=Page[Mock],
    summary="The project's mocks, running and stopped",
    responses=errors(400, ProjectNotFound),
)
async def list_mocks(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[Mock]:
    rows, cursor = await service.list_mocks(session, caller, project_id, page)
    return Page(items=[_out(r) for r in rows], next_cursor=cursor)


@router.get(
    "/mocks/{mock_id}",
    response_model=Mock,
    summary="One mock",
    responses=errors(service.MockNotFound),
)
async def get_mock(
    caller: Reader, session: TenantSession, mock_id: uuid.UUID, response: Response
) -> Mock:
    mock = await service.get_mock(session, caller, mock_id)
    set_etag(response, mock.version)
    return _out(mock)


@router.post(
    "/mocks/{mock_id}/stop",
    response_model=Mock,
    summary="Stop a mock (it answers 409 `mock_stopped` from then on)",
    responses=errors(service.MockNotFound),
)
async def stop_mock(
    caller: Writer, session: TenantSession, mock_id: uuid.UUID, response: Response
) -> Mock:
    mock = await service.stop_mock(session, caller, mock_id)
    set_etag(response, mock.version)
    return _out(mock)


async def _mock_caller(request: Request, mock_id: uuid.UUID) -> Caller:
    """An identity token (a Reader), or the credential a golden run sends to its mock
    (mocks/credentials.py), which then stands for the request's principal: the session
    below is opened for it. Declared before the session, so it is resolved first."""
    token = optional_bearer(request)
    if token is not None and credentials.is_credential(token):
        secret = request.app.state.settings.service_secret
        grant = credentials.verify(secret, token, mock_id)
        request.state.principal = grant.principal()
        return as_reader(request.state.principal)
    return as_reader(await get_principal(request))


declare_access(_mock_caller, [Space.PROVIDER, Space.DEVELOPER], OWNER_READ)
MockCaller = Annotated[Caller, Depends(_mock_caller)]


async def call_mock(
    caller: MockCaller, session: TenantSession, mock_id: uuid.UUID, path: str, request: Request
) -> Response:
    body = await request.body()
    served = await service.serve(
        session,
        caller,
        mock_id,
        request.method,
        path,
        list(request.query_params.multi_items()),
        {k.lower(): v for k, v in request.headers.items()},
        body,
    )
    if served.content_type is None:
        return Response(status_code=served.status)
    if served.content_type.endswith("json"):
        return Response(orjson.dumps(served.body), served.status, media_type=served.content_type)
    text = served.body if isinstance(served.body, str) else orjson.dumps(served.body).decode()
    return Response(text, served.status, media_type=served.content_type)


# one route per method, so that each has its own operationId (SDK method names)
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    router.add_api_route(
        "/mocks/{mock_id}/serve/{path:path}",
        call_mock,
        methods=[_method],
        summary=f"Call a running mock: {_method} on a path of its spec",
        operation_id=f"call_mock_{_method.lower()}",
        responses={**errors(service.MockNotFound, service.MockStopped), **_SERVED},
    )


@router.get(
    "/projects/{project_id}/spec-versions/{spec_version_id}/postman",
    summary="The spec version as a Postman collection (v2.1)",
    response_class=ORJSONResponse,
    responses={
        200: {
            "description": "A Postman collection, format v2.1",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **errors(ProjectNotFound, service.SpecVersionNotFound),
    },
)
async def get_postman_collection(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, spec_version_id: uuid.UUID
) -> ORJSONResponse:
    found = await service.postman_collection(session, caller, project_id, spec_version_id)
    filename = f"spec-{spec_version_id}.postman_collection.json"
    return ORJSONResponse(
        found, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
