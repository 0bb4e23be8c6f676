"""Projects: the owner's blueprint projects and the partner projects that follow them.

Every feature that takes a project id asks `get_project` first: it answers 404 for a
project the caller may not see (another owner's, another partner's), whatever the route.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.partner.access import Caller
from services.partner.models import Project
from services.partner.partners import service as partners
from services.partner.projects import repository as repo
from services.partner.projects.schemas import BlueprintCreate, PartnerProjectCreate
from services.partner.specs import repository as specs_repo


class ProjectNotFound(NotFound):
    code = "project_not_found"
    title = "Project not found"


class NotABlueprint(Unprocessable):
    code = "not_a_blueprint"
    title = "blueprint_id names no blueprint project of yours"


class NotAPartnerProject(Unprocessable):
    code = "not_a_partner_project"
    title = "This is the owner's blueprint project; the step belongs to partner projects"


async def create_blueprint(session: AsyncSession, caller: Caller, data: BlueprintCreate) -> Project:
    project = Project(
        tenant_id=caller.owner_tenant_id,
        customer_tenant_id=None,
        kind="blueprint",
        name=data.name,
        description=data.description,
        status="active",
        created_by=caller.subject,
    )
    session.add(project)
    await session.flush()
    return project


async def create_partner_project(
    session: AsyncSession, caller: Caller, partner_id: uuid.UUID, data: PartnerProjectCreate
) -> Project:
    partner = await partners.get_partner(session, caller, partner_id)
    blueprint = await repo.get(session, caller.principal, data.blueprint_id)
    if blueprint is None or blueprint.kind != "blueprint":
        raise NotABlueprint(extra={"blueprint_id": str(data.blueprint_id)})
    project = Project(
        tenant_id=caller.owner_tenant_id,
        customer_tenant_id=partner.customer_tenant_id,
        kind="partner",
        name=data.name,
        description=data.description,
        partner_id=partner.id,
        blueprint_id=blueprint.id,
        status="active",
        created_by=caller.subject,
    )
    session.add(project)
    await session.flush()
    # the partner reads the blueprint's spec as its own version 1 (the client rule lets it
    # read rows made for it only)
    await specs_repo.copy_latest_accepted(session, blueprint, project, caller.subject)
    return project


async def list_projects(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    kind: str | None,
    partner_id: uuid.UUID | None,
) -> tuple[list[Any], str | None]:
    return await paginate(
        session, repo.query(caller.principal, kind, partner_id), page, keys=[Project.id]
    )


async def get_project(session: AsyncSession, caller: Caller, project_id: uuid.UUID) -> Project:
    found = await repo.get(session, caller.principal, project_id)
    if found is None:
        raise ProjectNotFound(f"Project {project_id} not found")
    return found


async def get_partner_project(
    session: AsyncSession, caller: Caller, project_id: uuid.UUID
) -> Project:
    found = await get_project(session, caller, project_id)
    if found.kind != "partner":
        raise NotAPartnerProject(extra={"project_id": str(project_id)})
    return found
