"""ISO 2859-1 switching per product: read where each product stands; the QA lead records
the authority's part (production steady, reduced approved) and resumes a discontinued one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, VersionMismatch, errors
from libs.common.etag import IfMatchVersion, set_etag
from libs.common.pagination import Page, PageQuery
from services.quality.products.schemas import Sku
from services.quality.switching import service
from services.quality.switching.rules import State
from services.quality.switching.schemas import (
    SwitchingResume,
    SwitchingStatus,
    SwitchingUpdate,
    status_of,
)

router = APIRouter(tags=["sampling"], responses=AUTH_ERRORS)
Reader = Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:read"))]
Lead = Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:manage"))]


@router.get(
    "/sampling/switching",
    response_model=Page[SwitchingStatus],
    summary="Products' ISO 2859-1 switching states (normal, tightened, reduced, discontinued)",
)
async def list_switching_states(
    principal: Reader,
    session: TenantSession,
    page: PageQuery,
    state: Annotated[State | None, Query()] = None,
) -> Page[SwitchingStatus]:
    rows, cursor = await service.list_states(session, principal, page, state)
    return Page(items=[status_of(r) for r in rows], next_cursor=cursor)


@router.get(
    "/products/{sku}/switching",
    response_model=SwitchingStatus,
    summary="Where a product stands under ISO 2859-1's switching rules",
    description="`sku` is the product's SKU or its id in quality.",
    responses=errors(service.ProductNotFound),
)
async def get_switching_state(
    principal: Reader, session: TenantSession, sku: Sku, response: Response
) -> SwitchingStatus:
    row = await service.get_status(session, principal, sku)
    set_etag(response, row.version)
    return status_of(row)


@router.put(
    "/products/{sku}/switching",
    response_model=SwitchingStatus,
    summary="Record production steady or not and reduced inspection approved or not",
    description=(
        "The responsible authority's conditions of ISO 2859-1 9.3.3 and 9.3.4: with the "
        "switching score at 30 or more, steady production and approval switch normal to "
        "reduced; irregular production or a withdrawn approval switch reduced to normal."
    ),
    responses=errors(service.ProductNotFound, VersionMismatch, 422),
)
async def update_switching_state(
    principal: Lead,
    session: TenantSession,
    sku: Sku,
    body: SwitchingUpdate,
    expected: IfMatchVersion,
    response: Response,
) -> SwitchingStatus:
    row = await service.update(session, principal, sku, body, expected)
    set_etag(response, row.version)
    return status_of(row)


@router.post(
    "/products/{sku}/switching/resume",
    response_model=SwitchingStatus,
    summary="Resume a discontinued product's inspection (tightened) after corrective action",
    responses=errors(service.ProductNotFound, service.NotDiscontinued, VersionMismatch, 422),
)
async def resume_switching(
    principal: Lead,
    session: TenantSession,
    sku: Sku,
    body: SwitchingResume,
    expected: IfMatchVersion,
    response: Response,
) -> SwitchingStatus:
    row = await service.resume(session, principal, sku, body, expected)
    set_etag(response, row.version)
    return status_of(row)
