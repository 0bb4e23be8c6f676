"""Lots awaiting inspection (fed by production's events through sync)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS
from libs.common.pagination import Page, PageQuery, paginate
from services.quality.inspections.schemas import AwaitingInspection
from services.quality.models import AwaitingInspection as AwaitingModel

router = APIRouter(prefix="/inspections", tags=["inspections"], responses=AUTH_ERRORS)


@router.get(
    "/awaiting",
    response_model=Page[AwaitingInspection],
    summary="Lots that reached QA and await inspection, newest first",
)
async def list_awaiting_inspections(
    principal: Annotated[
        Principal, Depends(require(Space.PROVIDER, Space.CLIENT, perm="inspections:read"))
    ],
    session: TenantSession,
    page: PageQuery,
    lot_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AwaitingInspection]:
    if principal.space == Space.CLIENT:
        stmt = select(AwaitingModel).where(AwaitingModel.customer_tenant_id == principal.tenant_id)
    else:
        stmt = select(AwaitingModel).where(AwaitingModel.tenant_id == principal.tenant_id)
    if lot_id:
        stmt = stmt.where(AwaitingModel.lot_id == lot_id)
    rows, cursor = await paginate(session, stmt, page, keys=[AwaitingModel.id])
    return Page(items=[AwaitingInspection.model_validate(r) for r in rows], next_cursor=cursor)
