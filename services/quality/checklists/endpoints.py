"""Checklists per product version (Visual, Dimensional, Functional, Packaging checks)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, errors
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.quality.checklists import service
from services.quality.checklists.schemas import Checklist, ChecklistCreate

router = APIRouter(prefix="/checklists", tags=["checklists"], responses=AUTH_ERRORS)
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:read"))]
Manager = Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:manage"))]


@router.post(
    "",
    status_code=201,
    response_model=Checklist,
    summary="Create the checklist of a product version (retires its previous one)",
    responses=errors(422),
)
async def create_checklist(
    principal: Manager, session: TenantSession, body: ChecklistCreate, response: Response
) -> Checklist:
    found = await service.create_checklist(session, principal, body)
    set_etag(response, found.version)
    return Checklist.model_validate(found)


@router.get("", response_model=Page[Checklist], summary="Checklists, newest first")
async def list_checklists(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    product_sku: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[Literal["active", "retired"] | None, Query()] = None,
) -> Page[Checklist]:
    rows, cursor = await service.list_checklists(session, principal, page, product_sku, status)
    return Page(items=[Checklist.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{checklist_id}",
    response_model=Checklist,
    summary="One checklist with its items",
    responses=errors(service.ChecklistNotFound),
)
async def get_checklist(
    principal: Reader, session: TenantSession, checklist_id: uuid.UUID, response: Response
) -> Checklist:
    found = await service.get_checklist(session, principal, checklist_id)
    set_etag(response, found.version)
    return Checklist.model_validate(found)


@router.post(
    "/{checklist_id}/retire",
    response_model=Checklist,
    summary="Retire a checklist (inspections opened later no longer use it)",
    responses=errors(service.ChecklistNotFound, 412),
)
async def retire_checklist(
    principal: Manager,
    session: TenantSession,
    checklist_id: uuid.UUID,
    request: Request,
    response: Response,
) -> Checklist:
    found = await service.get_checklist(session, principal, checklist_id)
    check_if_match(request, found.version)
    found = await service.retire_checklist(session, principal, checklist_id)
    set_etag(response, found.version)
    return Checklist.model_validate(found)
