"""The activity feed of a project: every step of either side, as the partner and the owner's
integration manager follow it. Features call `record` in the transaction of the step."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from libs.contracts import EventModel
from services.partner import events
from services.partner.access import Caller
from services.partner.activity import repository as repo
from services.partner.models import Activity, Project
from services.partner.projects import service as projects


async def record(
    session: AsyncSession,
    project: Project,
    *,
    type: str,
    actor: str,
    actor_side: str,
    subject: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> Activity:
    entry = Activity(
        tenant_id=project.tenant_id,
        customer_tenant_id=project.customer_tenant_id,
        project_id=project.id,
        type=type,
        actor=actor,
        actor_side=actor_side,
        subject=subject,
        summary=summary,
        data=data or {},
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_by(
    session: AsyncSession,
    caller: Caller,
    project: Project,
    *,
    type: str,
    subject: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> Activity:
    return await record(
        session,
        project,
        type=type,
        actor=caller.subject,
        actor_side=caller.side.value,
        subject=subject,
        summary=summary,
        data=data,
    )


async def announce(
    session: AsyncSession,
    caller: Caller,
    project: Project,
    event: EventModel,
    *,
    type: str,
    subject: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> Activity:
    """A step that is both an event (to subscribers) and a line of the activity feed, about
    the same subject, in the step's transaction."""
    await events.emit(session, event, project=project, subject=subject)
    return await record_by(
        session, caller, project, type=type, subject=subject, summary=summary, data=data
    )


async def list_activity(
    session: AsyncSession,
    caller: Caller,
    project_id: uuid.UUID,
    page: PageParams,
    type_prefix: str | None,
) -> tuple[list[Any], str | None]:
    await projects.get_project(session, caller, project_id)
    stmt = repo.query(caller.principal, project_id, type_prefix)
    return await paginate(session, stmt, page, keys=[Activity.id])
