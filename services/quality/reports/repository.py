from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.quality.access import visible
from services.quality.models import Lot, Report

READ = "reports:read"


async def lot(session: AsyncSession, principal: Principal, lot_id: uuid.UUID) -> Lot | None:
    return (
        await session.scalars(select(Lot).where(Lot.id == lot_id, visible(Lot, principal, READ)))
    ).one_or_none()


async def for_lot(session: AsyncSession, principal: Principal, lot_id: uuid.UUID) -> list[Report]:
    return list(
        (
            await session.scalars(
                select(Report)
                .where(Report.lot_id == lot_id, visible(Report, principal, READ))
                .order_by(Report.id.desc())
                .limit(100)
            )
        ).all()
    )


async def get(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report | None:
    return (
        await session.scalars(
            select(Report).where(Report.id == report_id, visible(Report, principal, READ))
        )
    ).one_or_none()
