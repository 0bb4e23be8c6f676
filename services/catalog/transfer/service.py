"""Import and export of organisations, relationships, products/SKUs and price books, as CSV
or JSON.

An upload is streamed into the database in 1 MB chunks (`import_chunks`), never held
whole, and queued for the `catalog.import` job (importer.py reads, validates and applies
it); an export streams rows from one transaction (a consistent snapshot).
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.errors import AppError, NotFound, PayloadTooLarge
from libs.common.identity import ClientTenants
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
from services.catalog.transfer import apply as apply_
from services.catalog.transfer import files
from services.catalog.transfer import repository as repo
from services.catalog.transfer.apply import RowFailed
from services.catalog.transfer.schemas import (
    COLUMNS,
    Row,
)

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
