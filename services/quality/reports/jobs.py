"""Building a report: a plain async function of (db, store, report id), run by the worker
(and by the kit's job runner once it exists). Progress is written as it goes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from libs.common.db import Database
from libs.contracts.events.quality import ReportReady
from services.quality import events
from services.quality.models import Defect, Inspection, Lot, Photo, Product, Report, TenantSettings
from services.quality.reports.pdf import PhotoData, ReportData, inspection_report, photo_book
from services.quality.storage import EvidenceStore

MAX_PHOTOS = 200


async def _gather(db: Database, store: EvidenceStore, report: Report) -> ReportData:
    async with db.transaction(report.tenant_id) as s:
        lot = await s.get(Lot, report.lot_id)
        assert lot is not None
        settings = await s.get(TenantSettings, report.tenant_id)
        product = (
            await s.scalars(
                select(Product).where(
                    Product.tenant_id == lot.tenant_id, Product.sku == lot.product_sku
                )
            )
        ).one_or_none()
        inspection = await s.get(Inspection, report.inspection_id) if report.inspection_id else None
        defects = (
            list(
                (
                    await s.scalars(
                        select(Defect)
                        .where(Defect.inspection_id == inspection.id)
                        .order_by(Defect.unit, Defect.id)
                    )
                ).all()
            )
            if inspection
            else []
        )
        photo_stmt = select(Photo).where(Photo.lot_id == lot.id, Photo.status == "processed")
        if report.type == "inspection_report" and inspection is not None:
            photo_stmt = photo_stmt.where(Photo.inspection_id == inspection.id)
        photos = list((await s.scalars(photo_stmt.order_by(Photo.id).limit(MAX_PHOTOS))).all())
    by_defect = {d.id: d for d in defects}
    photo_data = []
    for p in photos:
        defect = by_defect.get(p.defect_id) if p.defect_id else None
        caption = p.caption or "Photo"
        if defect is not None:
            caption = f"{caption} - unit {defect.unit}, {defect.severity}: {defect.description}"
        photo_data.append(
            PhotoData(image=await store.get(p.key), caption=caption, annotations=p.annotations)
        )
    return ReportData(
        provider=(settings.name if settings and settings.name else "Quality report"),
        lot_number=lot.number,
        product=(product.name if product and product.name else None) or lot.product_sku or "",
        quantity=lot.quantity,
        plant=str(lot.plant_id or ""),
        inspection=None
        if inspection is None
        else {
            "plan": inspection.plan,
            "counts": inspection.counts,
            "verdict": inspection.verdict,
            "round": inspection.round,
            "completed_at": inspection.completed_at.isoformat()
            if inspection.completed_at
            else None,
        },
        defects=[
            {"unit": d.unit, "severity": d.severity, "description": d.description} for d in defects
        ],
        photos=photo_data,
    )


async def _progress(db: Database, report_id: uuid.UUID, value: int) -> None:
    async with db.transaction(None, system=True) as s:
        await s.execute(update(Report).where(Report.id == report_id).values(progress=value))


async def build_report(
    db: Database, store: EvidenceStore, report_id: uuid.UUID, *, final_attempt: bool = True
) -> bool:
    """Build the report; False when there is nothing to build (ready already, or held by
    another store). A failure is recorded and raised again, so the job runner retries."""
    async with db.transaction(None, system=True) as s:
        report = (
            await s.scalars(
                select(Report)
                .where(
                    Report.id == report_id,
                    Report.status.in_(("queued", "running")),
                    Report.storage == store.settings.object_store_url,
                )
                .with_for_update()
            )
        ).one_or_none()
        if report is None:
            return False
        report.status = "running"
        report.attempts += 1
    try:
        data = await _gather(db, store, report)
        loop = asyncio.get_running_loop()
        marks: list[int] = []

        def progress(value: int) -> None:
            marks.append(value)

        build = inspection_report if report.type == "inspection_report" else photo_book
        pdf, pages = await loop.run_in_executor(None, build, data, progress)
        if marks:
            await _progress(db, report_id, max(marks))
        key = f"{report.tenant_id}/reports/{report.id}.pdf"
        await store.put(key, pdf, "application/pdf")
    except Exception as exc:
        async with db.transaction(None, system=True) as s:
            await s.execute(
                update(Report)
                .where(Report.id == report_id)
                .values(
                    status="failed" if final_attempt else "queued",
                    error=f"{type(exc).__name__}: {exc}"[:500],
                )
            )
        raise
    async with db.transaction(report.tenant_id) as s:
        fresh = await s.get(Report, report_id)
        assert fresh is not None
        fresh.status, fresh.progress, fresh.key = "ready", 100, key
        fresh.size, fresh.pages, fresh.error = len(pdf), pages, None
        fresh.completed_at = datetime.now(UTC)
        await s.flush()
        lot = await s.get(Lot, fresh.lot_id)
        await events.emit(
            s,
            ReportReady(
                report_id=fresh.id,
                type=fresh.type,
                lot_id=fresh.lot_id,
                lot_number=lot.number if lot else None,
                pages=pages,
                size=len(pdf),
            ),
            tenant_id=fresh.tenant_id,
            subject=f"reports/{fresh.id}",
            customer_tenant_id=fresh.customer_tenant_id,
            plant_id=fresh.plant_id,
            lot_id=fresh.lot_id,
        )
    return True
