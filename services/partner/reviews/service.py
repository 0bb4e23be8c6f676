"""Readiness reviews: the partner (its lead) requests one; the owner approves it or asks for
changes, with comments. One review is under way at a time per project."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound
from libs.common.pagination import PageParams, paginate
from services.partner import events
from services.partner.access import Caller
from services.partner.activity import service as activity
from services.partner.models import Review
from services.partner.plan import service as plan
from services.partner.projects import service as projects
from services.partner.reviews import repository as repo
from services.partner.reviews.schemas import ReviewDecision, ReviewRequest


class ReviewNotFound(NotFound):
    code = "review_not_found"
    title = "Readiness review not found"


class ReviewInProgress(Conflict):
    code = "review_in_progress"
    title = "A readiness review of this project is under way already"


class ReviewDecided(Conflict):
    code = "review_already_decided"
    title = "This readiness review was decided already"


async def request_review(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, data: ReviewRequest
) -> Review:
    project = await projects.get_partner_project(session, caller, project_id)
    if await repo.open_review(session, project.id) is not None:
        raise ReviewInProgress()
    open_criteria = await plan.open_criteria(session, caller, project.id)
    review = Review(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        status="under_review",
        note=data.note,
        requested_by=caller.subject,
    )
    session.add(review)
    await session.flush()
    subject = f"projects/{project.id}/reviews/{review.id}"
    await activity.announce(
        session,
        caller,
        project,
        events.ReviewRequested(
            project_id=project.id,
            review_id=review.id,
            requested_by=caller.subject,
            note=data.note,
            open_criteria=open_criteria,
        ),
        type="review.requested",
        subject=subject,
        summary=f"Readiness review requested ({open_criteria} exit criteria still open)",
        data={"review_id": str(review.id), "open_criteria": open_criteria},
    )
    return review


async def decide_review(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    review_id: uuid.UUID,
    data: ReviewDecision,
) -> Review:
    project = await projects.get_partner_project(session, caller, project_id)
    review = await get_review(session, caller, project_id, review_id)
    if review.status != "under_review":
        raise ReviewDecided(f"This review is {review.status}")
    review.status = data.status
    review.comment = data.comment
    review.decided_by = caller.subject
    review.decided_at = datetime.now(UTC)
    await session.flush()
    subject = f"projects/{project.id}/reviews/{review.id}"
    await activity.announce(
        session,
        caller,
        project,
        events.ReviewDecided(
            project_id=project.id,
            review_id=review.id,
            status=data.status,
            decided_by=caller.subject,
            comment=data.comment,
        ),
        type="review.decided",
        subject=subject,
        summary=f"Readiness review {data.status.replace('_', ' ')}"
        + (f": {data.comment}" if data.comment else ""),
        data={"review_id": str(review.id), "status": data.status},
    )
    return review


async def list_reviews(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    await projects.get_partner_project(session, caller, project_id)
    return await paginate(session, repo.query(caller.principal, project_id), page, keys=[Review.id])


async def get_review(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID, review_id: uuid.UUID
) -> Review:
    await projects.get_partner_project(session, caller, project_id)
    found = await repo.get(session, caller.principal, project_id, review_id)
    if found is None:
        raise ReviewNotFound(f"Review {review_id} not found in this project")
    return found
