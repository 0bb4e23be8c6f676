"""The activity feed of a project (paginated, newest first)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from libs.common.deps import TenantSession
from libs.common.pagination import Page, PageQuery
from services.partner.access import Reader, errors
from services.partner.activity import service
from services.partner.activity.schemas import Activity
from services.partner.projects.service import ProjectNotFound

router = APIRouter(tags=["activity"])


@router.get(
    "/projects/{project_id}/activity",
    response_model=Page[Activity],
    summary="Every step of the project, newest first (spec uploads and diffs, evidence, "
    "reviews, runs)",
    responses=errors(400, ProjectNotFound),
)
async def list_activity(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    page: PageQuery,
    type: Annotated[
        str | None,
        Query(max_length=100, description="Only entries whose type starts with this, e.g. spec."),
    ] = None,
) -> Page[Activity]:
    rows, cursor = await service.list_activity(session, caller, project_id, page, type)
    return Page(items=[Activity.model_validate(r) for r in rows], next_cursor=cursor)
