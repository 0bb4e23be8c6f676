"""Import and export of organisations, relationships and products/SKUs, as CSV or JSON.

An import is stored, then applied by the `catalog.import` job: every row is validated
first (the error report lists each bad row and field); only a file without errors is
applied, in one transaction, so nothing is ever half-applied. Rows are matched on natural
keys (an organisation's name; a relationship's org, type, target and start; a product's
code and a SKU's code under their manufacturer), so the same file twice changes nothing.
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
from libs.common.errors import AppError, NotFound
from libs.common.pagination import PageParams, paginate
from services.catalog.identity import ClientTenants
from services.catalog.models import Import, Organisation, OrgRelationship, Product, Sku
from services.catalog.orgs import service as orgs
from services.catalog.orgs.schemas import OrganisationCreate, RelationshipCreate
from services.catalog.products import repository as product_repo
from services.catalog.products import service as products
from services.catalog.products.schemas import ProductCreate, SkuCreate
from services.catalog.transfer.schemas import (
    COLUMNS,
    ROWS,
    OrganisationRow,
    RelationshipRow,
    Row,
    SkuRow,
)

Progress = Callable[[int, int, str], Awaitable[None]]
PROGRESS_EVERY = 200


class ImportNotFound(NotFound):
    code, title = "import_not_found", "Import not found"


class RowFailed(Exception):
    def __init__(self, row: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error = {"row": row, "field": field, "message": message}


def parse(fmt: str, content: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return [dict(r) for r in csv.DictReader(io.StringIO(content))]
    data = orjson.loads(content)
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError('a JSON import is a list of objects (or {"items": [...]})')
    return data


async def validate(
    kind: str, raw: list[dict[str, Any]], progress: Progress
) -> tuple[list[Row], list[dict[str, Any]]]:
    model = ROWS[kind]
    rows: list[Row] = []
    errors: list[dict[str, Any]] = []
    for n, item in enumerate(raw, start=1):
        try:
            rows.append(model.model_validate(item))
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"]) or None
                errors.append({"row": n, "field": field, "message": e["msg"]})
        if n % PROGRESS_EVERY == 0:
            await progress(n, len(raw) * 2, "validating")
    return rows, errors


async def _orgs_by_name(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Organisation]:
    rows = await session.scalars(
        select(Organisation).where(Organisation.tenant_id == tenant_id).order_by(Organisation.id)
    )
    out: dict[str, Organisation] = {}
    for o in rows:
        out.setdefault(o.name, o)
    return out


async def apply(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, rows: list[Row], progress: Progress
) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    by_name = await _orgs_by_name(session, tenant_id)
    for n, row in enumerate(rows, start=1):
        try:
            if isinstance(row, OrganisationRow):
                outcome = await _organisation(session, tenant_id, row, by_name)
            elif isinstance(row, RelationshipRow):
                outcome = await _relationship(session, tenant_id, row, by_name, n)
            else:
                assert isinstance(row, SkuRow)
                outcome = await _sku(session, tenant_id, row, by_name, n)
        except AppError as exc:
            raise RowFailed(n, f"{exc.code}: {exc.detail}") from None
        counts[outcome] += 1
        if n % PROGRESS_EVERY == 0:
            await progress(len(rows) + n, len(rows) * 2, "applying")
    return counts


async def _organisation(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    row: OrganisationRow,
    by_name: dict[str, Organisation],
) -> str:
    org = by_name.get(row.name)
    if org is None:
        # client tenants were checked on upload (client_tenants_of), with the caller's token
        org = await orgs.create_org(
            session, tenant_id, OrganisationCreate(**row.model_dump()), None
        )
        by_name[org.name] = org
        return "created"
    if org.type != row.type:
        raise AppError(f"{row.name} exists as a {org.type}", code="org_type_differs")
    wanted = row.model_dump(exclude={"name", "type"})
    current = {k: getattr(org, k) for k in wanted}
    if current == wanted:
        return "unchanged"
    if org.client_tenant_id != row.client_tenant_id:
        await orgs._check_client_free(session, tenant_id, row.client_tenant_id, org.id)
    was_client, was = org.client_tenant_id, (org.type, org.status)
    for k, v in wanted.items():
        setattr(org, k, v)
    await session.flush()
    await orgs.announce_link(session, org, was_client, was)
    return "updated"


async def _relationship(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    row: RelationshipRow,
    by_name: dict[str, Organisation],
    n: int,
) -> str:
    for name, field in ((row.org, "org"), (row.target, "target")):
        if name not in by_name:
            raise RowFailed(n, f"No organisation named {name}", field)
    child, parent = by_name[row.org], by_name[row.target]
    same = await session.scalar(
        select(OrgRelationship).where(
            OrgRelationship.tenant_id == tenant_id,
            OrgRelationship.child_org_id == child.id,
            OrgRelationship.parent_org_id == parent.id,
            OrgRelationship.relation_type == row.relation_type,
            OrgRelationship.active_from == row.active_from,
        )
    )
    if same is not None and same.active_to == row.active_to:
        return "unchanged"
    await orgs.create_relationship(
        session,
        tenant_id,
        child.id,
        RelationshipCreate(
            relation_type=row.relation_type,
            target_org_id=parent.id,
            active_from=row.active_from,
            active_to=row.active_to,
        ),
    )
    return "created"


async def _sku(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    row: SkuRow,
    by_name: dict[str, Organisation],
    n: int,
) -> str:
    maker: uuid.UUID | None = None
    if row.manufacturer:
        if row.manufacturer not in by_name:
            raise RowFailed(n, f"No organisation named {row.manufacturer}", "manufacturer")
        maker = by_name[row.manufacturer].id
    outcome = "unchanged"
    product = await product_repo.find_product_code(session, tenant_id, maker, row.product_code)
    if product is None:
        product = await products.create_product(
            session,
            tenant_id,
            ProductCreate(
                manufacturer_org_id=maker,
                code=row.product_code,
                name=row.product_name,
                category=row.category,
            ),
        )
        outcome = "created"
    elif (product.name, product.category) != (row.product_name, row.category):
        product.name, product.category = row.product_name, row.category
        outcome = "updated"
    sku = await product_repo.find_sku_code(session, tenant_id, maker, row.sku_code)
    if sku is None:
        await products.create_sku(
            session,
            tenant_id,
            SkuCreate(
                product_id=product.id,
                sku_code=row.sku_code,
                name=row.sku_name,
                status=row.status,
                cost=row.cost,
                cost_currency=row.cost_currency,
            ),
        )
        return "created"
    wanted = {
        "product_id": product.id,
        "name": row.sku_name or row.sku_code,
        "status": row.status,
        "cost": row.cost,
        "cost_currency": row.cost_currency,
        "category": row.category,
    }
    if any(getattr(sku, k) != v for k, v in wanted.items()):
        for k, v in wanted.items():
            setattr(sku, k, v)
        outcome = "updated" if outcome == "unchanged" else outcome
    await session.flush()
    return outcome


# --- the import record and its job -----------------------------------------------------


def client_tenants_of(kind: str, fmt: str, content: str) -> set[uuid.UUID]:
    """The client tenants an organisations file names (what does not parse is left to the
    job, which reports it per row)."""
    if kind != "organisations":
        return set()
    try:
        rows = parse(fmt, content)
    except ValueError:
        return set()
    found: set[uuid.UUID] = set()
    for row in rows:
        value = row.get("client_tenant_id")
        if value:
            try:
                found.add(uuid.UUID(str(value)))
            except ValueError:
                continue
    return found


async def create_import(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    fmt: str,
    content: str,
    by: str,
    tenants: ClientTenants,
) -> Import:
    for client in sorted(client_tenants_of(kind, fmt, content)):
        await tenants.require(client)
    from services.catalog.transfer.jobs import run_import

    imp = Import(
        tenant_id=tenant_id,
        kind=kind,
        format=fmt,
        status="queued",
        content=content,
        content_sha256=hashlib.sha256(content.encode()).hexdigest(),
        created_by=by,
    )
    session.add(imp)
    await session.flush()
    imp.job_id = await run_import.defer(session, tenant_id=tenant_id, import_id=str(imp.id))
    await session.flush()
    return imp


async def get_import(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Import:
    imp = await session.scalar(select(Import).where(Import.tenant_id == tenant_id, Import.id == id))
    if imp is None:
        raise ImportNotFound(f"No import {id}")
    return imp


async def list_imports(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[Import], str | None]:
    stmt = select(Import).where(Import.tenant_id == tenant_id)
    return await paginate(session, stmt, page, keys=[Import.id])


def error_report(imp: Import) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "message"])
    for e in imp.errors:
        writer.writerow([e["row"], e.get("field") or "", e["message"]])
    return out.getvalue()


async def run(
    db: Database, tenant_id: uuid.UUID, import_id: uuid.UUID, progress: Progress
) -> dict[str, Any]:
    async with db.transaction(tenant_id) as s:
        imp = await get_import(s, tenant_id, import_id)
        if imp.status in ("succeeded", "failed"):
            return {"status": imp.status}  # a retried job finds the work done
        imp.status = "running"
        kind, fmt, content = imp.kind, imp.format, imp.content
    errors: list[dict[str, Any]] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    total = None
    try:
        raw = parse(fmt, content)
        total = len(raw)
        rows, errors = await validate(kind, raw, progress)
    except (ValueError, csv.Error, orjson.JSONDecodeError) as exc:
        errors = [{"row": 0, "field": None, "message": f"the file cannot be read: {exc}"}]
        rows = []
    if not errors:
        try:
            async with db.transaction(tenant_id) as s:
                counts = await apply(s, tenant_id, kind, rows, progress)
        except RowFailed as exc:
            errors = [exc.error]
            counts = {"created": 0, "updated": 0, "unchanged": 0}
    status = "failed" if errors else "succeeded"
    async with db.transaction(tenant_id) as s:
        imp = await get_import(s, tenant_id, import_id)
        imp.status, imp.total_rows, imp.errors = status, total, errors[:10_000]
        imp.created, imp.updated, imp.unchanged = (
            counts["created"],
            counts["updated"],
            counts["unchanged"],
        )
        imp.finished_at = datetime.now(UTC)
    await progress((total or 0) * 2, (total or 0) * 2, status)
    return {"status": status, **counts, "errors": len(errors)}


# --- export ----------------------------------------------------------------------------


async def export_rows(
    db: Database, tenant_id: uuid.UUID, kind: str
) -> AsyncIterator[dict[str, Any]]:
    """Every row of `kind`, streamed from one transaction (a consistent snapshot)."""
    async with db.transaction(tenant_id) as s:
        names = {o.id: o.name for o in (await _orgs_by_name(s, tenant_id)).values()}
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
                    "active_to": r.active_to.isoformat() if r.active_to else None,
                }
        else:
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
