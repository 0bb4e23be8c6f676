"""Queries of imports: the spooled chunks, batched upserts of products and SKUs, and the
staging of a SKU import (COPY, then two set-based upserts)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from services.catalog.models import Import, ImportChunk, StagedSku


async def add_chunk(
    session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID, seq: int, data: bytes
) -> None:
    await session.execute(
        insert(ImportChunk).values(import_id=import_id, seq=seq, tenant_id=tenant_id, data=data)
    )


async def chunks(db: Database, tenant_id: uuid.UUID, import_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The file's chunks in order, one at a time (never the whole file)."""
    async with db.transaction(tenant_id) as s:
        seqs = list(
            await s.scalars(
                select(ImportChunk.seq)
                .where(ImportChunk.tenant_id == tenant_id, ImportChunk.import_id == import_id)
                .order_by(ImportChunk.seq)
            )
        )
    for seq in seqs:
        async with db.transaction(tenant_id) as s:
            data = await s.scalar(
                select(ImportChunk.data).where(
                    ImportChunk.tenant_id == tenant_id,
                    ImportChunk.import_id == import_id,
                    ImportChunk.seq == seq,
                )
            )
        if data is not None:
            yield data


async def get_import(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Import | None:
    return await session.scalar(
        select(Import).where(Import.tenant_id == tenant_id, Import.id == id)
    )


def imports_stmt(tenant_id: uuid.UUID) -> Select[Import]:
    return select(Import).where(Import.tenant_id == tenant_id)


# --- a SKU import: staged by COPY, applied by two statements ---------------------------

STAGED_COLUMNS = (
    "import_id",
    "row_no",
    "tenant_id",
    "product_id",
    "sku_id",
    "manufacturer_org_id",
    "product_code",
    "product_name",
    "category",
    "sku_code",
    "sku_name",
    "status",
    "cost",
    "cost_currency",
)


async def stage_skus(session: AsyncSession, records: list[tuple[Any, ...]]) -> None:
    """Rows (in STAGED_COLUMNS order) into the staging table, by COPY on the session's own
    connection, inside its transaction."""
    conn = await session.connection()
    raw: Any = (await conn.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(
        StagedSku.__tablename__, schema_name="catalog", columns=STAGED_COLUMNS, records=records
    )


# a later row for the same key wins, as it would row by row
_UPSERT_STAGED_PRODUCTS = text(
    """
    INSERT INTO catalog.products AS p (id, tenant_id, manufacturer_org_id, code, name, category,
        attributes, lifecycle_status, version, created_at, updated_at)
    SELECT s.product_id, s.tenant_id, s.manufacturer_org_id, s.product_code, s.product_name,
        s.category, '{}'::jsonb, 'active', 1, now(), now()
    FROM (
        SELECT DISTINCT ON (manufacturer_org_id, product_code) *
        FROM catalog.import_staged_skus
        WHERE import_id = :import_id AND tenant_id = :tenant_id
        ORDER BY manufacturer_org_id, product_code, row_no DESC
    ) s
    ON CONFLICT ON CONSTRAINT uq_products_code DO UPDATE
        SET name = excluded.name, category = excluded.category, updated_at = now(),
            version = p.version + 1
        WHERE (p.name, p.category) IS DISTINCT FROM (excluded.name, excluded.category)
    """
)

_UPSERT_STAGED_SKUS = text(
    """
    WITH up AS (
        INSERT INTO catalog.skus AS k (id, tenant_id, product_id, manufacturer_org_id, category,
            sku_code, name, attributes, status, cost, cost_currency, version, created_at,
            updated_at)
        SELECT s.sku_id, s.tenant_id, p.id, s.manufacturer_org_id, s.category, s.sku_code,
            s.sku_name, '{}'::jsonb, s.status, s.cost, s.cost_currency, 1, now(), now()
        FROM (
            SELECT DISTINCT ON (manufacturer_org_id, sku_code) *
            FROM catalog.import_staged_skus
            WHERE import_id = :import_id AND tenant_id = :tenant_id
            ORDER BY manufacturer_org_id, sku_code, row_no DESC
        ) s
        JOIN catalog.products p ON p.tenant_id = s.tenant_id AND p.code = s.product_code
            AND p.manufacturer_org_id IS NOT DISTINCT FROM s.manufacturer_org_id
        ON CONFLICT ON CONSTRAINT uq_skus_code DO UPDATE
            SET product_id = excluded.product_id, name = excluded.name,
                status = excluded.status, cost = excluded.cost,
                cost_currency = excluded.cost_currency, category = excluded.category,
                updated_at = now(), version = k.version + 1
            WHERE (k.product_id, k.name, k.status, k.cost, k.cost_currency, k.category)
                IS DISTINCT FROM (excluded.product_id, excluded.name, excluded.status,
                    excluded.cost, excluded.cost_currency, excluded.category)
        RETURNING xmax = 0 AS created
    )
    SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up
    """
)


async def apply_staged_skus(
    session: AsyncSession, tenant_id: uuid.UUID, import_id: uuid.UUID
) -> tuple[int, int]:
    """The staged rows' products, then SKUs, upserted by (manufacturer, code), only what
    differs updated; the staged rows deleted. (created, updated) SKUs."""
    params = {"import_id": import_id, "tenant_id": tenant_id}
    await session.execute(_UPSERT_STAGED_PRODUCTS, params)
    created, updated = (await session.execute(_UPSERT_STAGED_SKUS, params)).one()
    await session.execute(
        delete(StagedSku).where(StagedSku.tenant_id == tenant_id, StagedSku.import_id == import_id)
    )
    return int(created), int(updated)
