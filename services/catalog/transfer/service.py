"""Import and export of organisations, relationships, products/SKUs and price books, as CSV
or JSON.

An upload is streamed into the database in 1 MB chunks (`import_chunks`), never held
whole, then applied by the `catalog.import` job, which spools the chunks to a temporary
file and reads it row by row. Every row is validated (the error report lists each bad row
and field); only a file without errors is applied, in one transaction, so nothing is ever
half-applied. Rows match on natural keys (see apply.py), so the same file twice changes
nothing.

SKU files (the large ones) are read once: each row is validated as it is read and COPYed,
in batches, into a staging table inside the import's transaction; when the whole file is
valid two set-based upserts apply it (products, then SKUs), else the transaction rolls
back. Other kinds are read twice: a validating pass, then an applying one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.errors import AppError, NotFound, PayloadTooLarge
from libs.common.identity import ClientTenants
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from services.catalog.models import (
    Agreement,
    Channel,
    Import,
    Organisation,
    OrgRelationship,
    PriceBook,
    PriceRule,
    Product,
    Sku,
)
from services.catalog.money import is_currency
from services.catalog.transfer import apply as apply_
from services.catalog.transfer import files
from services.catalog.transfer import repository as repo
from services.catalog.transfer.apply import RowFailed
from services.catalog.transfer.schemas import (
    COLUMNS,
    ROWS,
    AgreementRow,
    OrganisationRow,
    PriceBookRow,
    RelationshipRow,
    Row,
    SkuRow,
)

Progress = Callable[[int, int, str], Awaitable[None]]
PROGRESS_EVERY = 1000
STAGE_BATCH = 5000
MAX_ERRORS = 10_000
# organisations files are read on upload (their client tenants are checked with the caller's
# token), so they stay small
MAX_ORGANISATIONS_BYTES = 10 * 1024 * 1024


class ImportNotFound(NotFound):
    code, title = "import_not_found", "Import not found"


class InvalidEncoding(AppError):
    code = "invalid_encoding"


# --- the upload ------------------------------------------------------------------------


def client_tenants_of(fmt: str, content: bytes) -> set[uuid.UUID]:
    """The client tenants an organisations file names (what does not parse is left to the
    job, which reports it per row)."""
    found: set[uuid.UUID] = set()
    try:
        if fmt == "csv":
            raw: Any = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        else:
            raw = orjson.loads(content)
            raw = raw.get("items") if isinstance(raw, dict) else raw
        for row in raw if isinstance(raw, list) or fmt == "csv" else []:
            value = row.get("client_tenant_id") if isinstance(row, dict) else None
            if value:
                try:
                    found.add(uuid.UUID(str(value)))
                except ValueError:
                    continue
    except (ValueError, csv.Error):
        return found
    return found


async def create_import(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    fmt: str,
    body: AsyncIterator[bytes],
    by: str,
    tenants: ClientTenants,
    max_bytes: int,
) -> Import:
    """Streams the body into chunks, in the request's transaction, and queues the job."""
    from services.catalog.transfer.jobs import run_import

    imp = Import(
        tenant_id=tenant_id,
        kind=kind,
        format=fmt,
        status="queued",
        created_by=by,
        errors=[],
        content_sha256="",
    )
    session.add(imp)
    await session.flush()
    digest, size, seq = hashlib.sha256(), 0, 0
    utf8 = files.Utf8Check()
    kept = bytearray()  # organisations only: small, read for their client tenants
    limit = min(max_bytes, MAX_ORGANISATIONS_BYTES) if kind == "organisations" else max_bytes
    try:
        async for chunk in files.rechunk(body):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"At most {limit // (1024 * 1024)} MB per {kind} import")
            utf8.feed(chunk)
            digest.update(chunk)
            if kind == "organisations":
                kept += chunk
            await repo.add_chunk(session, tenant_id, imp.id, seq, chunk)
            seq += 1
        utf8.feed(b"", final=True)
    except files.UnreadableFile as exc:
        raise InvalidEncoding(str(exc)) from None
    for client in sorted(client_tenants_of(fmt, bytes(kept))):
        await tenants.require(client)
    imp.size_bytes, imp.content_sha256 = size, digest.hexdigest()
    imp.job_id = await run_import.defer(session, tenant_id=tenant_id, import_id=str(imp.id))
    await session.flush()
    return imp


async def get_import(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Import:
    imp = await repo.get_import(session, tenant_id, id)
    if imp is None:
        raise ImportNotFound(f"No import {id}")
    return imp


async def list_imports(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Import], str | None]:
    return await paginate(session, repo.imports_stmt(tenant_id), page, keys=[Import.id])


def error_report(imp: Import) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "message"])
    for e in imp.errors:
        writer.writerow([e["row"], e.get("field") or "", e["message"]])
    return out.getvalue()


# --- the job ---------------------------------------------------------------------------


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


# --- export ----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_rows(
    db: Database, tenant_id: uuid.UUID, kind: str, fmt: str = "json"
) -> AsyncIterator[dict[str, Any]]:
    """Every row of `kind`, streamed from one transaction (a consistent snapshot)."""
    async with db.transaction(tenant_id) as s:
        names = {o.id: o.name for o in (await apply_.orgs_by_name(s, tenant_id)).values()}
        if kind == "organisations":
            stream = await s.stream_scalars(
                select(Organisation)
                .where(Organisation.tenant_id == tenant_id)
                .order_by(Organisation.id)
            )
            async for o in stream:
                yield {
                    "name": o.name,
                    "type": o.type,
                    "status": o.status,
                    "regions": o.regions,
                    "certifications": o.certifications,
                    "client_tenant_id": str(o.client_tenant_id) if o.client_tenant_id else None,
                }
        elif kind == "relationships":
            rels = await s.stream_scalars(
                select(OrgRelationship)
                .where(OrgRelationship.tenant_id == tenant_id)
                .order_by(OrgRelationship.id)
            )
            async for r in rels:
                yield {
                    "org": names.get(r.child_org_id),
                    "relation_type": r.relation_type,
                    "target": names.get(r.parent_org_id),
                    "active_from": r.active_from.isoformat(),
                    "active_to": _iso(r.active_to),
                }
        elif kind == "skus":
            pairs = await s.stream(
                select(Sku, Product)
                .join(Product, Product.id == Sku.product_id)
                .where(Sku.tenant_id == tenant_id)
                .order_by(Sku.id)
            )
            async for sku, product in pairs:
                yield {
                    "manufacturer": names.get(product.manufacturer_org_id)
                    if product.manufacturer_org_id
                    else None,
                    "product_code": product.code,
                    "product_name": product.name,
                    "category": product.category,
                    "sku_code": sku.sku_code,
                    "sku_name": sku.name,
                    "status": sku.status,
                    "cost": str(sku.cost) if sku.cost is not None else None,
                    "cost_currency": sku.cost_currency,
                }
        elif kind == "agreements":
            agreements = await s.stream_scalars(
                select(Agreement).where(Agreement.tenant_id == tenant_id).order_by(Agreement.id)
            )
            async for a in agreements:
                yield {
                    "name": a.name,
                    "kind": a.kind,
                    "party_a": names.get(a.party_a_org_id) if a.party_a_org_id else None,
                    "party_b": names.get(a.party_b_org_id) if a.party_b_org_id else None,
                    "status": a.status,
                    "effective_from": a.effective_from.isoformat(),
                    "effective_to": _iso(a.effective_to),
                    "scope": a.scope if fmt == "json" else orjson.dumps(a.scope).decode(),
                    "terms": a.terms if fmt == "json" else orjson.dumps(a.terms).decode(),
                }
        else:
            async for row in _price_book_rows(s, tenant_id, names):
                yield row


async def _price_book_rows(
    s: AsyncSession, tenant_id: uuid.UUID, names: dict[uuid.UUID, str]
) -> AsyncIterator[dict[str, Any]]:
    channels = {
        c.id: c.name for c in await s.scalars(select(Channel).where(Channel.tenant_id == tenant_id))
    }
    pairs = await s.stream(
        select(PriceBook, PriceRule, Sku.sku_code, Sku.manufacturer_org_id)
        .outerjoin(PriceRule, PriceRule.price_book_id == PriceBook.id)
        .outerjoin(Sku, Sku.id == PriceRule.sku_id)
        .where(PriceBook.tenant_id == tenant_id)
        .order_by(PriceBook.id, PriceRule.id)
    )
    async for book, rule, sku_code, maker in pairs:
        row: dict[str, Any] = {
            "book": book.name,
            "scope_type": book.scope_type,
            "org": names.get(book.org_id) if book.org_id else None,
            "channel": channels.get(book.channel_id) if book.channel_id else None,
            "currency": book.currency,
            "rounding_mode": book.rounding_mode,
            "effective_from": book.effective_from.isoformat(),
            "effective_to": _iso(book.effective_to),
        }
        if rule is not None:
            row |= {
                "selector": rule.selector,
                "sku_manufacturer": names.get(maker) if maker else None,
                "sku_code": sku_code,
                "category": rule.category,
                "rule_type": rule.rule_type,
                "value": str(rule.value),
                "tiers": [f"{t['min_quantity']}:{t['value']}" for t in rule.tiers],
                "priority": rule.priority,
            }
        yield row


async def render(kind: str, fmt: str, rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    if fmt == "json":
        yield b"["
        first = True
        async for row in rows:
            yield (b"" if first else b",") + orjson.dumps(row)
            first = False
        yield b"]"
        return
    columns = COLUMNS[kind]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    async for row in rows:
        writer.writerow(
            [
                ";".join(v) if isinstance(v, list) else ("" if v is None else v)
                for v in (row.get(c) for c in columns)
            ]
        )
        if buf.tell() > 64_000:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


__all__ = ["Row", "RowFailed"]
