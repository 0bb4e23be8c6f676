"""Projects: the owner's blueprint projects and its partners' projects."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from libs.common.deps import TenantSession
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from services.partner.access import Owner, Reader, errors
from services.partner.partners.service import PartnerNotFound
from services.partner.projects import service
from services.partner.projects.schemas import BlueprintCreate, PartnerProjectCreate, Project

router = APIRouter(tags=["projects"])


@router.post(
    "/projects",
    status_code=201,
    response_model=Project,
    summary="Create a blueprint project (holds the spec your partners build against)",
    responses=errors(422),
)
async def create_blueprint(
    caller: Owner, session: TenantSession, body: BlueprintCreate, response: Response
) -> Project:
    found = await service.create_blueprint(session, caller, body)
    set_etag(response, found.version)
    response.headers["Location"] = f"/projects/{found.id}"
    return Project.model_validate(found)


@router.post(
    "/partners/{partner_id}/projects",
    status_code=201,
    response_model=Project,
    summary="Create a partner's project following one of your blueprints (its latest "
    "accepted spec becomes the project's version 1)",
    responses=errors(422, PartnerNotFound, service.NotABlueprint),
)
async def create_partner_project(
    caller: Owner,
    session: TenantSession,
    partner_id: uuid.UUID,
    body: PartnerProjectCreate,
    response: Response,
) -> Project:
    found = await service.create_partner_project(session, caller, partner_id, body)
    set_etag(response, found.version)
    response.headers["Location"] = f"/projects/{found.id}"
    return Project.model_validate(found)


@router.get(
    "/projects",
    response_model=Page[Project],
    summary="Projects you may see (a partner: its own), newest first",
    responses=errors(400),
)
async def list_projects(
    caller: Reader,
    session: TenantSession,
    page: PageQuery,
    kind: Annotated[Literal["blueprint", "partner"] | None, Query()] = None,
    partner_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[Project]:
    rows, cursor = await service.list_projects(session, caller, page, kind, partner_id)
    return Page(items=[Project.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/projects/{project_id}",
    response_model=Project,
    summary="One project",
    responses=errors(service.ProjectNotFound),
)
async def get_project(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, response: Response
) -> Project:
    found = await service.get_project(session, caller, project_id)
    set_etag(response, found.version)
    return Project.model_validate(found)
