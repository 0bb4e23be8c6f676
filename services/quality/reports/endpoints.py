"""Reports of a lot: request one (provider or brand), list them by type, download."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, errors
from services.quality.access import require_route
from services.quality.models import Report as ReportRow
from services.quality.reports import service
from services.quality.reports.schemas import Report, ReportRequest, ReportsByType
from services.quality.urls import public_base

router = APIRouter(tags=["reports"], responses=AUTH_ERRORS)


async def _reader(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, Space.CLIENT))],
) -> Principal:
    require_route(principal, "reports:read")
    return principal


Reader = Annotated[Principal, Depends(_reader)]


async def _out(request: Request, row: ReportRow) -> Report:
    out = Report.model_validate(row)
    if row.status == "ready" and row.key:
        signed = await request.app.state.evidence.download_url(
            public_base(request), row.key, f"{row.type}-{row.lot_id}.pdf"
        )
        out.download_url, out.download_expires_at = signed.url, signed.expires_at
    return out


@router.post(
    "/lots/{lot_id}/reports",
    status_code=202,
    response_model=Report,
    summary="Request a report of the lot (inspection report or photo book); built in the "
    "background, its status readable",
    responses=errors(service.LotNotFound, 422),
)
async def request_report(
    principal: Reader,
    session: TenantSession,
    lot_id: uuid.UUID,
    body: ReportRequest,
    request: Request,
) -> Report:
    row = await service.request_report(
        session,
        request.app.state.db,
        principal,
        lot_id,
        body.type,
        request.app.state.settings.object_store_url,
    )
    return Report.model_validate(row)


@router.get(
    "/lots/{lot_id}/reports",
    response_model=ReportsByType,
    summary="The lot's reports grouped by type, newest first, with download URLs when ready",
    responses=errors(service.LotNotFound),
)
async def list_lot_reports(
    principal: Reader, session: TenantSession, lot_id: uuid.UUID, request: Request
) -> ReportsByType:
    grouped = await service.list_for_lot(session, principal, lot_id)
    return ReportsByType(
        inspection_report=[await _out(request, r) for r in grouped["inspection_report"]],
        photo_book=[await _out(request, r) for r in grouped["photo_book"]],
    )


@router.get(
    "/reports/{report_id}",
    response_model=Report,
    summary="One report: status, progress, and a short-lived download URL when ready",
    responses=errors(service.ReportNotFound),
)
async def get_report(
    principal: Reader, session: TenantSession, report_id: uuid.UUID, request: Request
) -> Report:
    return await _out(request, await service.get_report(session, principal, report_id))
