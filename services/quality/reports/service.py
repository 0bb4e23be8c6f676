"""Reports per lot (inspection report, photo book): requested by the provider or the brand,
built by the worker, listed by type, downloaded by presigned URL."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.db import Database
from libs.common.errors import NotFound
from libs.common.ids import new_id
from services.quality.jobs import build_report
from services.quality.models import Report
from services.quality.passports.repository import last_completed
from services.quality.reports import repository as repo


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


class ReportNotFound(NotFound):
    code, title = "report_not_found", "Report not found"


async def request_report(
    session: AsyncSession,
    db: Database,
    principal: Principal,
    lot_id: uuid.UUID,
    type_: str,
    storage: str,
) -> Report:
    lot = await repo.lot(session, principal, lot_id)
    if lot is None:
        raise LotNotFound("Lot not found")
    if principal.space == Space.PROVIDER:
        principal.require_permission("reports:read", lot.plant_id)
    inspection = await last_completed(session, lot.id)
    report = Report(
        id=new_id(),
        tenant_id=lot.tenant_id,
        customer_tenant_id=lot.customer_tenant_id,
        lot_id=lot.id,
        plant_id=lot.plant_id,
        inspection_id=inspection.id if inspection else None,
        type=type_,
        storage=storage,
        status="queued",
        progress=0,
        requested_by=principal.subject,
        requested_space=str(principal.space),
    )
    if principal.space == Space.PROVIDER:
        session.add(report)
        await session.flush()
        await build_report.defer(session, tenant_id=lot.tenant_id, report_id=str(report.id))
        return report
    # A brand asks; the report is the provider's row (its tenant, its storage). The brand's
    # session may not write provider rows, so the request is recorded in the provider's
    # tenant, once the brand has been shown to read this lot (above).
    async with db.transaction(lot.tenant_id) as provider:
        provider.add(report)
        await provider.flush()
        await build_report.defer(provider, tenant_id=lot.tenant_id, report_id=str(report.id))
    return report


async def list_for_lot(
    session: AsyncSession, principal: Principal, lot_id: uuid.UUID
) -> dict[str, list[Report]]:
    if await repo.lot(session, principal, lot_id) is None:
        raise LotNotFound("Lot not found")
    grouped: dict[str, list[Report]] = {"inspection_report": [], "photo_book": []}
    for report in await repo.for_lot(session, principal, lot_id):
        grouped[report.type].append(report)
    return grouped


async def get_report(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    found = await repo.get(session, principal, report_id)
    if found is None:
        raise ReportNotFound("Report not found")
    return found
