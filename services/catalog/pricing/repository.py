from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Agreement, PriceBook, PriceRule
from services.catalog.pricing.resolve import Book, Rule, SkuInfo


def books_stmt(
    tenant_id: uuid.UUID,
    scope_type: str | None,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str | None,
) -> Select[PriceBook]:
    stmt = select(PriceBook).where(PriceBook.tenant_id == tenant_id)
    if scope_type:
        stmt = stmt.where(PriceBook.scope_type == scope_type)
    if org_id:
        stmt = stmt.where(PriceBook.org_id == org_id)
    if channel_id:
        stmt = stmt.where(PriceBook.channel_id == channel_id)
    if currency:
        stmt = stmt.where(PriceBook.currency == currency)
    return stmt


async def get_book(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> PriceBook | None:
    stmt = select(PriceBook).where(PriceBook.tenant_id == tenant_id, PriceBook.id == id)
    return await session.scalar(stmt.with_for_update() if lock else stmt)


async def find_overlapping(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    scope_type: str,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str,
    start: datetime,
    end: datetime | None,
    exclude: uuid.UUID | None = None,
) -> PriceBook | None:
    stmt = select(PriceBook).where(
        PriceBook.tenant_id == tenant_id,
        PriceBook.scope_type == scope_type,
        PriceBook.org_id.is_(None) if org_id is None else PriceBook.org_id == org_id,
        PriceBook.channel_id.is_(None)
        if channel_id is None
        else PriceBook.channel_id == channel_id,
        PriceBook.currency == currency,
        func.tstzrange(PriceBook.effective_from, PriceBook.effective_to, "[)").op("&&")(
            func.tstzrange(start, end, "[)")
        ),
    )
    if exclude is not None:
        stmt = stmt.where(PriceBook.id != exclude)
    return await session.scalar(stmt.limit(1))


def rules_stmt(tenant_id: uuid.UUID, book_id: uuid.UUID) -> Select[PriceRule]:
    return select(PriceRule).where(
        PriceRule.tenant_id == tenant_id, PriceRule.price_book_id == book_id
    )


async def get_rule(
    session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID, rule_id: uuid.UUID
) -> PriceRule | None:
    return await session.scalar(rules_stmt(tenant_id, book_id).where(PriceRule.id == rule_id))


# --- resolve: plain rows, straight from the driver (the hot path) ---------------------

# The SKUs of a resolve, by id.
SKUS_SQL = (
    "SELECT id, sku_code, category, cost, cost_currency FROM catalog.skus "
    "WHERE tenant_id = $1 AND id = ANY($2::uuid[])"
)
# Every candidate price row of a resolve in one statement: the books in the currency whose
# window holds the moment, of the scopes that match the org ($6) and channel ($7) (NULL
# matches no scope that names one), each with its rules that can select one of the SKUs
# ($2: the SKU itself, $3: one of their categories, or all); a book without such a rule
# comes once, with NULL rule columns. A book's rules in creation order (time-ordered ids),
# as the explanation lists them.
CANDIDATES_SQL = """
SELECT b.id, b.name, b.scope_type, b.org_id, b.channel_id, b.currency, b.rounding_mode,
    b.effective_from, b.effective_to, b.version,
    r.id, r.selector, r.sku_id, r.category, r.rule_type, r.value, r.tiers::text, r.priority
FROM catalog.price_books b
LEFT JOIN catalog.price_rules r ON r.price_book_id = b.id AND r.tenant_id = $1
    AND (r.selector = 'all' OR r.sku_id = ANY($2::uuid[]) OR r.category = ANY($3::text[]))
WHERE b.tenant_id = $1 AND b.currency = $4 AND b.effective_from <= $5
    AND (b.effective_to IS NULL OR b.effective_to > $5)
    AND (b.scope_type = 'global'
        OR (b.scope_type = 'org' AND b.org_id = $6)
        OR (b.scope_type = 'channel' AND b.channel_id = $7)
        OR (b.scope_type = 'org_channel' AND b.org_id = $6 AND b.channel_id = $7))
ORDER BY r.id
"""


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, in its transaction (tenant set)."""
    conn = await session.connection()
    return (await conn.get_raw_connection()).driver_connection


async def sku_infos(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, SkuInfo]:
    rows = await (await _driver(session)).fetch(SKUS_SQL, tenant_id, ids)
    return {r[0]: SkuInfo(*r) for r in rows}


def _tiers(raw: str | None) -> tuple[tuple[Decimal, Decimal], ...]:
    if not raw or raw == "[]":
        return ()
    return tuple(
        (Decimal(str(t["min_quantity"])), Decimal(str(t["value"]))) for t in orjson.loads(raw)
    )


async def candidates(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    skus: Collection[SkuInfo],
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str,
    at: datetime,
) -> tuple[list[Book], list[Rule]]:
    """The candidate books of a resolve and their rules for `skus`, in one round trip."""
    rows = await (await _driver(session)).fetch(
        CANDIDATES_SQL,
        tenant_id,
        [s.id for s in skus],
        list({s.category for s in skus if s.category is not None}),
        currency,
        at,
        org_id,
        channel_id,
    )
    books: dict[uuid.UUID, Book] = {}
    rules: list[Rule] = []
    for r in rows:
        book_id = r[0]
        if book_id not in books:
            books[book_id] = Book(*r[:10])
        if r[10] is not None:
            rules.append(
                Rule(r[10], book_id, r[11], r[12], r[13], r[14], r[15], _tiers(r[16]), r[17])
            )
    return list(books.values()), rules


def agreements_stmt(
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    kind: str | None = None,
    status: str | None = None,
    active_at: datetime | None = None,
) -> Select[Agreement]:
    stmt = select(Agreement).where(Agreement.tenant_id == tenant_id)
    if kind:
        stmt = stmt.where(Agreement.kind == kind)
    if status:
        stmt = stmt.where(Agreement.status == status)
    if active_at is not None:
        stmt = stmt.where(
            Agreement.effective_from <= active_at,
            or_(Agreement.effective_to.is_(None), Agreement.effective_to > active_at),
        )
    if org_id:
        stmt = stmt.where(
            or_(Agreement.party_a_org_id == org_id, Agreement.party_b_org_id == org_id)
        )
    return stmt


async def get_agreement(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID
) -> Agreement | None:
    return await session.scalar(
        select(Agreement).where(Agreement.tenant_id == tenant_id, Agreement.id == id)
    )


async def find_book(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    scope_type: str,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str,
    effective_from: datetime,
) -> PriceBook | None:
    """The book of one scope and currency starting at `effective_from` (at most one: windows
    of a scope never overlap)."""
    return await session.scalar(
        select(PriceBook)
        .where(
            PriceBook.tenant_id == tenant_id,
            PriceBook.scope_type == scope_type,
            PriceBook.org_id.is_(None) if org_id is None else PriceBook.org_id == org_id,
            PriceBook.channel_id.is_(None)
            if channel_id is None
            else PriceBook.channel_id == channel_id,
            PriceBook.currency == currency,
            PriceBook.effective_from == effective_from,
        )
        .with_for_update()
    )


async def book_rules(
    session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID
) -> list[PriceRule]:
    return list(await session.scalars(rules_stmt(tenant_id, book_id).order_by(PriceRule.id)))


async def delete_rules(session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID) -> None:
    await session.execute(
        delete(PriceRule).where(
            PriceRule.tenant_id == tenant_id, PriceRule.price_book_id == book_id
        )
    )
