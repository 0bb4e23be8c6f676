from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from services.quality.access import visible
from services.quality.models import CheckResult, Defect, Inspection, Lot

READ = "inspections:read"


def awaiting_query(principal: Principal, lot_id: uuid.UUID | None) -> Select[Lot, uuid.UUID, str]:
    """Lots at qa_pending whose current round is not completed (a lot that moved on, or
    whose inspection completed, no longer awaits; a rework is one new round, not a copy)."""
    current = and_(Inspection.lot_id == Lot.id, Inspection.round == Lot.qa_round)
    stmt = (
        select(Lot, Inspection.id, Inspection.status)
        .outerjoin(Inspection, current)
        .where(
            Lot.gate == "qa_pending",
            visible(Lot, principal, READ),
            (Inspection.id.is_(None)) | (Inspection.status != "completed"),
        )
    )
    if lot_id:
        stmt = stmt.where(Lot.id == lot_id)
    return stmt


def list_query(principal: Principal, lot_id: uuid.UUID | None, status: str | None) -> Select[Any]:
    stmt = select(Inspection).where(visible(Inspection, principal, READ))
    if lot_id:
        stmt = stmt.where(Inspection.lot_id == lot_id)
    if status:
        stmt = stmt.where(Inspection.status == status)
    return stmt


async def get(
    session: AsyncSession,
    principal: Principal,
    inspection_id: uuid.UUID,
    *,
    perm: str = READ,
    for_update: bool = False,
) -> Inspection | None:
    stmt = select(Inspection).where(
        Inspection.id == inspection_id, visible(Inspection, principal, perm)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def get_round(session: AsyncSession, lot_id: uuid.UUID, round_: int) -> Inspection | None:
    return (
        await session.scalars(
            select(Inspection).where(Inspection.lot_id == lot_id, Inspection.round == round_)
        )
    ).one_or_none()


async def upsert_results(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    stmt = insert(CheckResult).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=["inspection_id", "item_id", "unit"],
        set_={
            "passed": stmt.excluded.passed,
            "value": stmt.excluded.value,
            "photo_id": stmt.excluded.photo_id,
            "notes": stmt.excluded.notes,
            "recorded_by": stmt.excluded.recorded_by,
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


async def results(session: AsyncSession, inspection_id: uuid.UUID) -> list[CheckResult]:
    return list(
        (
            await session.scalars(
                select(CheckResult)
                .where(CheckResult.inspection_id == inspection_id)
                .order_by(CheckResult.unit, CheckResult.item_id)
            )
        ).all()
    )


async def result_coverage(
    session: AsyncSession, inspection_id: uuid.UUID, max_unit: int
) -> dict[uuid.UUID, int]:
    """Per item: how many sample units have a result."""
    rows = await session.execute(
        select(CheckResult.item_id, func.count())
        .where(CheckResult.inspection_id == inspection_id, CheckResult.unit <= max_unit)
        .group_by(CheckResult.item_id)
    )
    return {item: n for item, n in rows.all()}


async def failed_units(
    session: AsyncSession, inspection_id: uuid.UUID, max_unit: int
) -> tuple[list[int], int, int]:
    """(units with a failed check, units with any result, failed checks)."""
    rows = (
        await session.execute(
            select(CheckResult.unit, CheckResult.passed).where(
                CheckResult.inspection_id == inspection_id, CheckResult.unit <= max_unit
            )
        )
    ).all()
    failed = [u for u, ok in rows if not ok]
    return sorted(set(failed)), len({u for u, _ in rows}), len(failed)


async def defects(session: AsyncSession, inspection_id: uuid.UUID) -> list[Defect]:
    return list(
        (
            await session.scalars(
                select(Defect).where(Defect.inspection_id == inspection_id).order_by(Defect.id)
            )
        ).all()
    )


async def lot_for_update(session: AsyncSession, lot_id: uuid.UUID) -> Lot | None:
    return (
        await session.scalars(select(Lot).where(Lot.id == lot_id).with_for_update())
    ).one_or_none()


async def assignment_rows(
    session: AsyncSession,
    principal: Principal,
    *,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
) -> list[Inspection]:
    """Inspections assigned to the caller in change order (updated_at, id): from the start
    the open ones, after a cursor every change."""
    stmt = select(Inspection).where(
        Inspection.inspector_id == principal.subject, visible(Inspection, principal, READ)
    )
    if after is None:
        stmt = stmt.where(Inspection.status != "completed")
    else:
        stmt = stmt.where(tuple_(Inspection.updated_at, Inspection.id) > tuple_(*after))
    stmt = stmt.order_by(Inspection.updated_at, Inspection.id).limit(limit)
    return list((await session.scalars(stmt)).all())
