"""Spec versions of a project: upload (JSON or YAML), list, read, the owner's review, and
the diff between two versions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
import yaml
from fastapi import APIRouter, Query, Request, Response

from libs.common.deps import TenantSession
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from services.partner.access import Owner, Reader, Writer, errors
from services.partner.config import Settings
from services.partner.projects.service import ProjectNotFound
from services.partner.specs import service
from services.partner.specs.documents import JSON_TYPES, YAML_TYPES, media_format
from services.partner.specs.schemas import SpecDecision, SpecDiff, SpecVersion

router = APIRouter(tags=["specs"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The OpenAPI 3.0 / 3.1 document, as JSON or YAML (Content-Type says "
        "which), at most WEFT_PARTNER_SPEC_MAX_BYTES (4 MiB by default)",
        "content": {
            **{t: {"schema": {"type": "object"}} for t in JSON_TYPES},
            **{t: {"schema": {"type": "string"}} for t in YAML_TYPES},
        },
    }
}


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise service.SpecTooLarge(f"At most {limit} bytes per spec document")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise service.SpecTooLarge(f"At most {limit} bytes per spec document")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/projects/{project_id}/specs",
    status_code=201,
    response_model=SpecVersion,
    summary="Upload a spec version (the owner's are accepted; a partner's variant waits "
    "for the owner's review)",
    responses=errors(
        414,
        ProjectNotFound,
        service.SpecTooLarge,
        service.UnsupportedSpecMedia,
        *service.SPEC_ERRORS,
    ),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_spec(
    caller: Writer,
    session: TenantSession,
    project_id: uuid.UUID,
    request: Request,
    response: Response,
    note: Annotated[str | None, Query(max_length=2000, description="What changed")] = None,
) -> SpecVersion:
    fmt = media_format(request.headers.get("content-type"))
    if fmt is None:
        raise service.UnsupportedSpecMedia(
            "Send the document as application/json or application/yaml"
        )
    settings: Settings = request.app.state.settings
    raw = await _read_capped(request, settings.spec_max_bytes)
    found = await service.upload_spec(session, caller, project_id, raw, fmt, note)
    set_etag(response, found.version)
    response.headers["Location"] = f"/projects/{project_id}/specs/{found.id}"
    return SpecVersion.model_validate(found)


@router.get(
    "/projects/{project_id}/specs",
    response_model=Page[SpecVersion],
    summary="Spec versions of a project, newest first (without their documents)",
    responses=errors(400, ProjectNotFound),
)
async def list_specs(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    page: PageQuery,
    status: Annotated[Literal["pending_review", "accepted", "rejected"] | None, Query()] = None,
) -> Page[SpecVersion]:
    rows, cursor = await service.list_specs(session, caller, project_id, page, status)
    return Page(items=[SpecVersion.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/projects/{project_id}/specs/{spec_id}",
    response_model=SpecVersion,
    summary="One spec version (its metadata)",
    responses=errors(ProjectNotFound, service.SpecNotFound),
)
async def get_spec(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    response: Response,
) -> SpecVersion:
    found = await service.get_spec(session, caller, project_id, spec_id)
    set_etag(response, found.version)
    return SpecVersion.model_validate(found)


@router.get(
    "/projects/{project_id}/specs/{spec_id}/document",
    response_class=Response,
    summary="The spec document itself, as JSON (default) or YAML",
    responses={
        **errors(ProjectNotFound, service.SpecNotFound),
        200: {
            "description": "The OpenAPI document",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        },
    },
)
async def get_spec_document(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    format: Annotated[Literal["json", "yaml"], Query()] = "json",
) -> Response:
    found = await service.get_spec(session, caller, project_id, spec_id, document=True)
    name = f"spec-{found.number}.{format}"
    headers = {"Content-Disposition": f'inline; filename="{name}"', "ETag": f'"{found.version}"'}
    if format == "yaml":
        body = yaml.safe_dump(found.document, sort_keys=False, allow_unicode=True)
        return Response(body, media_type="application/yaml", headers=headers)
    return Response(orjson.dumps(found.document), media_type="application/json", headers=headers)


@router.post(
    "/projects/{project_id}/specs/{spec_id}/accept",
    response_model=SpecVersion,
    summary="Accept a partner's spec variant",
    responses=errors(422, ProjectNotFound, service.SpecNotFound, service.SpecNotPending),
)
async def accept_spec(
    caller: Owner,
    session: TenantSession,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    body: SpecDecision,
    response: Response,
) -> SpecVersion:
    found = await service.decide_spec(session, caller, project_id, spec_id, True, body.comment)
    set_etag(response, found.version)
    return SpecVersion.model_validate(found)


@router.post(
    "/projects/{project_id}/specs/{spec_id}/reject",
    response_model=SpecVersion,
    summary="Reject a partner's spec variant, with a comment",
    responses=errors(422, ProjectNotFound, service.SpecNotFound, service.SpecNotPending),
)
async def reject_spec(
    caller: Owner,
    session: TenantSession,
    project_id: uuid.UUID,
    spec_id: uuid.UUID,
    body: SpecDecision,
    response: Response,
) -> SpecVersion:
    found = await service.decide_spec(session, caller, project_id, spec_id, False, body.comment)
    set_etag(response, found.version)
    return SpecVersion.model_validate(found)


@router.get(
    "/projects/{project_id}/diff",
    response_model=SpecDiff,
    summary="Compare two spec versions of a project: findings classified breaking / "
    "warning / info, each with its rule id and location (notifies the owner)",
    responses=errors(422, ProjectNotFound, service.SpecNotFound),
)
async def diff_specs(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    base: Annotated[uuid.UUID, Query(description="The older version (spec version id)")],
    head: Annotated[uuid.UUID, Query(description="The newer version (spec version id)")],
) -> SpecDiff:
    project, old, new, report = await service.diff_versions(session, caller, project_id, base, head)
    return SpecDiff(
        project_id=project.id,
        base=SpecVersion.model_validate(old),
        head=SpecVersion.model_validate(new),
        report=report,
    )
