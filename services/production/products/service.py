from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import flush_or_conflict
from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.pagination import PageParams
from services.production.inventory import repository as inv_repo
from services.production.models import BomLine, ProcessStage, Product, ProductVersion
from services.production.models.base import QTY
from services.production.products import repository as repo
from services.production.products.bom import check_no_cycle, load_graph
from services.production.products.schemas import BomLine as BomLineOut
from services.production.products.schemas import (
    BomLineIn,
    Explosion,
    ExplosionLine,
    ProductCreate,
    ProductUpdate,
    ProductVersionCreate,
    ProductVersionSummary,
    ProductVersionUpdate,
    Stage,
    StageIn,
)
from services.production.products.schemas import Product as ProductOut
from services.production.products.schemas import ProductVersion as ProductVersionOut
from services.production.units import check, convert


class ProductSkuTaken(Conflict):
    code, title = "sku_taken", "SKU taken"


async def list_products(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    *,
    sku: str | None = None,
    category: str | None = None,
) -> tuple[list[ProductOut], str | None]:
    rows, cursor = await repo.list_page(session, tenant_id, page, sku=sku, category=category)
    return await present_products(session, tenant_id, rows), cursor


async def present_products(
    session: AsyncSession, tenant_id: uuid.UUID, products: list[Product]
) -> list[ProductOut]:
    versions = await repo.versions(session, tenant_id, [p.id for p in products])
    by_product: dict[uuid.UUID, list[ProductVersion]] = {}
    for v in versions:
        by_product.setdefault(v.product_id, []).append(v)
    return [
        ProductOut.model_validate(p).model_copy(
            update={
                "versions": [
                    ProductVersionSummary.model_validate(v) for v in by_product.get(p.id, [])
                ]
            }
        )
        for p in products
    ]


async def present_version(session: AsyncSession, version: ProductVersion) -> ProductVersionOut:
    lines = await repo.lines_of(session, version.id)
    stages = await repo.stages_of(session, version.id)
    return ProductVersionOut.model_validate(version).model_copy(
        update={
            "bom": [BomLineOut.model_validate(x) for x in lines],
            "stages": [Stage.model_validate(x) for x in stages],
        }
    )


async def get_product(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> Product:
    product = await repo.get(session, tenant_id, product_id)
    if product is None:
        raise NotFound("Product not found", code="product_not_found")
    return product


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, version_id: uuid.UUID
) -> ProductVersion:
    version = await repo.get_version(session, tenant_id, product_id, version_id)
    if version is None:
        raise NotFound("Product version not found", code="product_version_not_found")
    return version


def _sku_of(line: BomLineIn, skus: dict[uuid.UUID, str]) -> str | None:
    return line.sku or (skus[line.item_id] if line.item_id else None)


async def _write_contents(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product: Product,
    version: ProductVersion,
    bom: list[BomLineIn] | None,
    stages: list[StageIn] | None,
    *,
    replacing: bool,
) -> None:
    if bom is not None:
        item_ids = {line.item_id for line in bom if line.item_id}
        skus = await repo.item_skus(session, tenant_id, item_ids)
        if item_ids - skus.keys():
            raise Unprocessable("A BOM line names an unknown inventory item", code="bom_invalid")
        stock = await inv_repo.stock_units(
            session, tenant_id, sorted({s for s in (_sku_of(ln, skus) for ln in bom) if s})
        )
        for line in bom:
            sku = _sku_of(line, skus)
            if sku is not None and line.unit:
                for stock_unit in stock.get(sku, ()):
                    check(line.unit, stock_unit, sku=sku)
        comps = {line.product_id for line in bom if line.product_id}
        if comps - await repo.existing_products(session, tenant_id, comps):
            raise Unprocessable("A BOM line names an unknown product", code="bom_invalid")
        await check_no_cycle(
            session,
            tenant_id,
            product.id,
            comps,
            editing_version_id=version.id if replacing else None,
        )
        if replacing:
            await repo.clear_lines(session, version.id)
        for n, line in enumerate(bom, start=1):
            session.add(
                BomLine(
                    tenant_id=tenant_id,
                    product_version_id=version.id,
                    line_no=n,
                    component_sku=line.sku or (skus[line.item_id] if line.item_id else None),
                    component_product_id=line.product_id,
                    quantity=line.quantity,
                    unit=line.unit,
                    notes=line.notes,
                )
            )
    if stages is not None:
        if replacing:
            await repo.clear_stages(session, version.id)
        for n, stage in enumerate(stages, start=1):
            session.add(
                ProcessStage(
                    tenant_id=tenant_id,
                    product_version_id=version.id,
                    seq=n,
                    name=stage.name,
                    description=stage.description,
                    estimated_minutes=stage.estimated_minutes,
                    steps=stage.steps,
                    parameters=[p.model_dump() for p in stage.parameters],
                )
            )
    await session.flush()


async def create_product(
    session: AsyncSession, tenant_id: uuid.UUID, body: ProductCreate
) -> tuple[Product, ProductVersion]:
    product = Product(
        tenant_id=tenant_id,
        sku=body.sku,
        name=body.name,
        description=body.description,
        category=body.category,
        unit=body.unit,
    )
    session.add(product)
    await flush_or_conflict(
        session,
        {
            "uq_products_tenant_id_sku": ProductSkuTaken(
                f"SKU {body.sku!r} is taken", extra={"field": "sku"}
            )
        },
    )
    version = ProductVersion(
        tenant_id=tenant_id, product_id=product.id, number=1, status="draft", notes=body.notes
    )
    session.add(version)
    await session.flush()
    await _write_contents(
        session, tenant_id, product, version, body.bom, body.stages, replacing=False
    )
    return product, version


async def update_product(session: AsyncSession, product: Product, body: ProductUpdate) -> Product:
    for f, value in body.model_dump(exclude_unset=True).items():
        if value is not None or f != "name":
            setattr(product, f, value)
    await session.flush()
    await session.refresh(product)
    return product


async def create_version(
    session: AsyncSession, tenant_id: uuid.UUID, product: Product, body: ProductVersionCreate
) -> ProductVersion:
    latest = await repo.latest_version(session, tenant_id, product.id)
    version = ProductVersion(
        tenant_id=tenant_id,
        product_id=product.id,
        number=await repo.next_number(session, product.id),
        status="draft",
        notes=body.notes,
    )
    session.add(version)
    await session.flush()
    bom, stages = body.bom, body.stages
    if latest is not None and (bom is None or stages is None):
        if bom is None:
            bom = [
                BomLineIn(
                    sku=ln.component_sku,
                    product_id=ln.component_product_id,
                    quantity=ln.quantity,
                    unit=ln.unit,
                    notes=ln.notes,
                )
                for ln in await repo.lines_of(session, latest.id)
            ]
        if stages is None:
            stages = [
                StageIn.model_validate(
                    {
                        "name": s.name,
                        "description": s.description,
                        "estimated_minutes": s.estimated_minutes,
                        "steps": s.steps,
                        "parameters": s.parameters,
                    }
                )
                for s in await repo.stages_of(session, latest.id)
            ]
    await _write_contents(session, tenant_id, product, version, bom, stages, replacing=False)
    return version


def _ensure_draft(version: ProductVersion) -> None:
    if version.status != "draft":
        raise Conflict(
            f"Version {version.number} is {version.status} and cannot change; "
            "create a new version (POST /products/{id}/versions)",
            code="version_released",
        )


async def update_version(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product: Product,
    version: ProductVersion,
    body: ProductVersionUpdate,
) -> ProductVersion:
    _ensure_draft(version)
    if "notes" in body.model_fields_set:
        version.notes = body.notes
    await _write_contents(
        session, tenant_id, product, version, body.bom, body.stages, replacing=True
    )
    version.updated_at = datetime.now(UTC)  # bumps the version (ETag) even for BOM-only edits
    await session.flush()
    await session.refresh(version)
    return version


async def release_version(
    session: AsyncSession, version: ProductVersion, *, actor: str
) -> ProductVersion:
    _ensure_draft(version)
    version.status = "released"
    version.released_at = datetime.now(UTC)
    version.released_by = actor
    await session.flush()
    await session.refresh(version)
    return version


async def explode(
    session: AsyncSession, tenant_id: uuid.UUID, version: ProductVersion, quantity: Decimal
) -> Explosion:
    graph = await load_graph(session, tenant_id, [version.id])
    per_need = graph.flat(version.id)
    units = await inv_repo.stock_units(session, tenant_id, sorted({sku for sku, _ in per_need}))
    # In the unit the SKU is stocked in (the first, if plants differ), else as written.
    per_sku: dict[str, Decimal] = defaultdict(Decimal)
    unit_of: dict[str, str | None] = {}
    for (sku, unit), per in per_need.items():
        stock_unit = min(units[sku]) if units.get(sku) else None
        target = stock_unit or unit_of.get(sku) or unit
        per_sku[sku] += convert(per, unit, target, sku=sku)
        unit_of[sku] = target
    lines = [
        ExplosionLine(
            sku=sku,
            unit=unit_of[sku],
            quantity_per_unit=per.quantize(QTY),
            quantity=(per * quantity).quantize(QTY),
        )
        for sku, per in sorted(per_sku.items())
    ]
    return Explosion(
        product_id=version.product_id,
        product_version_id=version.id,
        quantity=quantity,
        lines=lines,
    )
