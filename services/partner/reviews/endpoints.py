"""Readiness reviews of a partner project."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from libs.common.deps import TenantSession
from libs.common.etag import set_etag
from libs.common.pagination import Page, PageQuery
from services.partner.access import Owner, PartnerLead, Reader, errors
from services.partner.projects.service import NotAPartnerProject, ProjectNotFound
from services.partner.reviews import service
from services.partner.reviews.schemas import Review, ReviewDecision, ReviewRequest

router = APIRouter(tags=["reviews"])
_PROJECT = (ProjectNotFound, NotAPartnerProject)


@router.post(
    "/projects/{project_id}/reviews",
    status_code=201,
    response_model=Review,
    summary="Request a readiness review (the partner's lead)",
    responses=errors(422, *_PROJECT, service.ReviewInProgress),
)
async def request_review(
    caller: PartnerLead,
    session: TenantSession,
    project_id: uuid.UUID,
    body: ReviewRequest,
    response: Response,
) -> Review:
    found = await service.request_review(session, caller, project_id, body)
    set_etag(response, found.version)
    return Review.model_validate(found)


@router.get(
    "/projects/{project_id}/reviews",
    response_model=Page[Review],
    summary="Readiness reviews of a project, newest first",
    responses=errors(400, *_PROJECT),
)
async def list_reviews(
    caller: Reader, session: TenantSession, project_id: uuid.UUID, page: PageQuery
) -> Page[Review]:
    rows, cursor = await service.list_reviews(session, caller, project_id, page)
    return Page(items=[Review.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/projects/{project_id}/reviews/{review_id}",
    response_model=Review,
    summary="One readiness review",
    responses=errors(*_PROJECT, service.ReviewNotFound),
)
async def get_review(
    caller: Reader,
    session: TenantSession,
    project_id: uuid.UUID,
    review_id: uuid.UUID,
    response: Response,
) -> Review:
    found = await service.get_review(session, caller, project_id, review_id)
    set_etag(response, found.version)
    return Review.model_validate(found)


@router.post(
    "/projects/{project_id}/reviews/{review_id}/decision",
    response_model=Review,
    summary="Decide a readiness review: approved, or changes_requested with comments",
    responses=errors(422, *_PROJECT, service.ReviewNotFound, service.ReviewDecided),
)
async def decide_review(
    caller: Owner,
    session: TenantSession,
    project_id: uuid.UUID,
    review_id: uuid.UUID,
    body: ReviewDecision,
    response: Response,
) -> Review:
    found = await service.decide_review(session, caller, project_id, review_id, body)
    set_etag(response, found.version)
    return Review.model_validate(found)
