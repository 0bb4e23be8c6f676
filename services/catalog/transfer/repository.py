"""Queries of imports: the spooled chunks, and batched upserts of products and SKUs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.ids import new_id
from services.catalog.models import Import, ImportChunk, Product, Sku


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


def _changed(table: Any, columns: Sequence[str]) -> Any:
    """`(t.a, t.b) IS DISTINCT FROM (excluded.a, excluded.b)`: update only what differs."""
    mine = tuple_(*(getattr(table.c, c) for c in columns))
    theirs = tuple_(*(literal_column(f"excluded.{c}") for c in columns))
    return mine.is_distinct_from(theirs)


async def upsert_products(
    session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]]
) -> dict[tuple[uuid.UUID | None, str], uuid.UUID]:
    """Insert or update products by (manufacturer, code), one statement; their ids by key."""
    now = datetime.now(UTC)
    table: Any = Product.__table__
    stmt = insert(table).values(
        [
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "attributes": {},
                "lifecycle_status": "active",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **r,
            }
            for r in rows
        ]
    )
    cols = ("name", "category")
    stmt = stmt.on_conflict_do_update(
        constraint="uq_products_code",
        set_={
            **{c: stmt.excluded[c] for c in cols},
            "updated_at": now,
            "version": table.c.version + 1,
        },
        where=_changed(table, cols),
    )
    await session.execute(stmt)
    codes = list({r["code"] for r in rows})
    found = await session.execute(
        select(Product.id, Product.manufacturer_org_id, Product.code).where(
            Product.tenant_id == tenant_id, Product.code.in_(codes)
        )
    )
    return {(m, c): i for i, m, c in found}


async def upsert_skus(
    session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]]
) -> tuple[int, int]:
    """Insert or update SKUs by (manufacturer, sku_code), one statement: (created, updated);
    the rest of `rows` were unchanged."""
    now = datetime.now(UTC)
    table: Any = Sku.__table__
    stmt = insert(table).values(
        [
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "attributes": {},
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **r,
            }
            for r in rows
        ]
    )
    cols = ("product_id", "name", "status", "cost", "cost_currency", "category")
    upsert: Any = stmt.on_conflict_do_update(
        constraint="uq_skus_code",
        set_={
            **{c: stmt.excluded[c] for c in cols},
            "updated_at": now,
            "version": table.c.version + 1,
        },
        where=_changed(table, cols),
    ).returning(literal_column("xmax = 0"))
    inserted = [bool(x) for x in (await session.scalars(upsert))]
    created = sum(inserted)
    return created, len(inserted) - created
