"""The `catalog.import` job's work: a stored upload read row by row, validated, applied.

The job spools the stored chunks to a temporary file and reads it row by row (files.rows).
Every row is validated (the error report lists each bad row and field); only a file
without errors is applied, in one transaction, so nothing is ever half-applied. Rows match
on natural keys (see apply.py), so the same file twice changes nothing.

SKU files (the large ones) are read once: each row is validated as it is read and COPYed,
in batches, into a staging table inside the import's transaction; when the whole file is
valid two set-based upserts apply it (products, then SKUs), else the transaction rolls
back. Other kinds are read twice: a validating pass, then an applying one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.errors import AppError
from libs.common.ids import new_id
from services.catalog.money import is_currency
from services.catalog.transfer import apply as apply_
from services.catalog.transfer import files
from services.catalog.transfer import repository as repo
from services.catalog.transfer.apply import RowFailed
from services.catalog.transfer.schemas import (
    ROWS,
    AgreementRow,
    OrganisationRow,
    PriceBookRow,
    RelationshipRow,
    SkuRow,
)
from services.catalog.transfer.service import get_import

Progress = Callable[[int, int, str], Awaitable[None]]
PROGRESS_EVERY = 1000
STAGE_BATCH = 5000
MAX_ERRORS = 10_000


def _invalid(errors: list[dict[str, Any]], n: int, exc: ValidationError) -> None:
    if len(errors) < MAX_ERRORS:
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or None
            errors.append({"row": n, "field": field, "message": e["msg"]})
    else:
        errors.append({"row": n, "field": None, "message": "invalid"})


def _validated(kind: str, fmt: str, path: Any, errors: list[dict[str, Any]]) -> Any:
    """(row number, row) for every row that validates; the others go to `errors`."""
    model = ROWS[kind]
    for n, item in enumerate(files.rows(fmt, path), start=1):
        try:
            yield n, model.model_validate(item)
        except ValidationError as exc:
            _invalid(errors, n, exc)


def _ids(n: int) -> list[uuid.UUID]:
    """`n` ids in ascending order from one time-ordered id, whose random tail counts up
    (RFC 9562's monotonic random; the cleared top bit leaves 2**61 steps before a carry)."""
    base = new_id().int & ~(1 << 61)
    return [uuid.UUID(int=base + i) for i in range(n)]


class _Refused(Exception):
    """A SKU file with errors: its transaction rolls back."""


def _staged_sku(
    import_id: uuid.UUID,
    tenant_id: uuid.UUID,
    n: int,
    item: Any,
    makers: dict[str, uuid.UUID],
    errors: list[dict[str, Any]],
) -> tuple[Any, ...] | None:
    """Row `n` as a staging record (repo.STAGED_COLUMNS without the two ids `_stage` adds),
    or None with its errors."""
    try:
        row = SkuRow.model_validate(item)
    except ValidationError as exc:
        _invalid(errors, n, exc)
        return None
    maker = None
    if row.manufacturer is not None:
        maker = makers.get(row.manufacturer)
        if maker is None:
            errors.append(
                {
                    "row": n,
                    "field": "manufacturer",
                    "message": f"No organisation named {row.manufacturer}",
                }
            )
            return None
    if row.cost_currency is not None and not is_currency(row.cost_currency):
        errors.append(
            {
                "row": n,
                "field": "cost_currency",
                "message": f"{row.cost_currency} is not an ISO 4217 currency",
            }
        )
        return None
    return (
        import_id,
        n,
        tenant_id,
        maker,
        row.product_code,
        row.product_name,
        row.category,
        row.sku_code,
        row.sku_name or row.sku_code,
        row.status,
        row.cost,
        row.cost_currency,
    )


async def _stage(session: AsyncSession, records: list[tuple[Any, ...]]) -> None:
    """Staged rows with ids for the product and the SKU they may create (in row order)."""
    ids = _ids(2 * len(records))
    await repo.stage_skus(
        session,
        [(*r[:3], ids[2 * i], ids[2 * i + 1], *r[3:]) for i, r in enumerate(records)],
    )


async def _import_skus(
    db: Database,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    kind: str,
    fmt: str,
    path: Any,
    progress: Progress,
    errors: list[dict[str, Any]],
) -> tuple[int, dict[str, int]]:
    """A SKU file in one pass and one transaction: (rows, counts); what is wrong goes to
    `errors`, and then nothing is applied."""
    total = 0
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        async with db.transaction(tenant_id) as s:
            makers = {
                name: org.id for name, org in (await apply_.orgs_by_name(s, tenant_id)).items()
            }
            records: list[tuple[Any, ...]] = []
            for total, item in enumerate(files.rows(fmt, path), start=1):
                record = _staged_sku(import_id, tenant_id, total, item, makers, errors)
                if record is not None and not errors:
                    records.append(record)
                    if len(records) >= STAGE_BATCH:
                        await _stage(s, records)
                        records = []
                if total % PROGRESS_EVERY == 0:
                    await progress(total, 0, "validating")
            if errors:
                raise _Refused
            if records:
                await _stage(s, records)
            await progress(total, total * 2, "applying")
            created, updated = await repo.apply_staged_skus(s, tenant_id, import_id)
    except _Refused:
        return total, counts
    counts.update(created=created, updated=updated, unchanged=total - created - updated)
    return total, counts


async def _apply(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    rows: Any,
    total: int,
    progress: Progress,
) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    by_name = await apply_.orgs_by_name(session, tenant_id)
    books = apply_.PriceBooks()

    def add(got: dict[str, int]) -> None:
        for k, v in got.items():
            counts[k] += v

    n = 0
    for n, row in rows:
        try:
            if isinstance(row, PriceBookRow):
                books.add(n, row)
            elif isinstance(row, AgreementRow):
                counts[await apply_.agreement(session, tenant_id, row, by_name, n)] += 1
            elif isinstance(row, OrganisationRow):
                counts[await apply_.organisation(session, tenant_id, row, by_name)] += 1
            else:
                assert isinstance(row, RelationshipRow)
                counts[await apply_.relationship(session, tenant_id, row, by_name, n)] += 1
        except AppError as exc:
            raise RowFailed(n, f"{exc.code}: {exc.detail}") from None
        if n % PROGRESS_EVERY == 0:
            await progress(total + n, total * 2, "applying")
    if books.books:
        add(await books.apply(session, tenant_id, by_name))
    return counts


async def _import_rows(
    db: Database,
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    kind: str,
    fmt: str,
    path: Any,
    progress: Progress,
    errors: list[dict[str, Any]],
) -> tuple[int, dict[str, int]]:
    """Any other file in two passes: validate every row, then (without errors) apply them in
    one transaction."""
    total = 0
    for total, _ in _validated(kind, fmt, path, errors):
        if total % PROGRESS_EVERY == 0:
            await progress(total, 0, "validating")
    total = max(total, max((e["row"] for e in errors), default=0))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    if errors:
        return total, counts
    try:
        async with db.transaction(tenant_id) as s:
            counts = await _apply(
                s, tenant_id, kind, _validated(kind, fmt, path, errors), total, progress
            )
    except RowFailed as exc:
        errors.append(exc.error)
        return total, {"created": 0, "updated": 0, "unchanged": 0}
    return total, counts


async def run(
    db: Database, tenant_id: uuid.UUID, import_id: uuid.UUID, progress: Progress
) -> dict[str, Any]:
    async with db.transaction(tenant_id) as s:
        imp = await get_import(s, tenant_id, import_id)
        if imp.status in ("succeeded", "failed"):
            return {"status": imp.status}  # a retried job finds the work done
        imp.status = "running"
        kind, fmt = imp.kind, imp.format
    errors: list[dict[str, Any]] = []
    async with files.spooled(repo.chunks(db, tenant_id, import_id)) as path:
        read = _import_skus if kind == "skus" else _import_rows
        try:
            total, counts = await read(db, tenant_id, import_id, kind, fmt, path, progress, errors)
        except files.UnreadableFile as exc:
            errors = [{"row": 0, "field": None, "message": f"the file cannot be read: {exc}"}]
            total, counts = 0, {"created": 0, "updated": 0, "unchanged": 0}
    status = "failed" if errors else "succeeded"
    async with db.transaction(tenant_id) as s:
        imp = await get_import(s, tenant_id, import_id)
        imp.status, imp.total_rows, imp.errors = status, total, errors[:MAX_ERRORS]
        imp.created, imp.updated, imp.unchanged = (
            counts["created"],
            counts["updated"],
            counts["unchanged"],
        )
        imp.finished_at = datetime.now(UTC)
    await progress(total * 2, total * 2, status)
    return {"status": status, **counts, "errors": len(errors)}
