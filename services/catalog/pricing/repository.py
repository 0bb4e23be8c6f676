from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    Select,
    String,
    Uuid,
    and_,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Agreement, PriceBook, PriceRule, Sku
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


_books: Any = PriceBook.__table__
_rules: Any = PriceRule.__table__
_skus: Any = Sku.__table__
_TENANT = bindparam("tenant", type_=Uuid)
_SKU_IDS = bindparam("sku_ids", type_=ARRAY(Uuid))

# The SKUs of a resolve, by id.
SKUS = select(
    _skus.c.id, _skus.c.sku_code, _skus.c.category, _skus.c.cost, _skus.c.cost_currency
).where(_skus.c.tenant_id == _TENANT, _skus.c.id == any_(_SKU_IDS))

# Every candidate price row of a resolve in one statement: the books in the currency whose
# window holds the moment, of the scopes that match the org and channel (a NULL org or
# channel matches no scope that names one), each with its rules that can select one of the
# SKUs (the SKU itself, one of their categories, or all); a book without such a rule comes
# once, with NULL rule columns.
CANDIDATES = (
    select(
        _books.c.id,
        _books.c.name,
        _books.c.scope_type,
        _books.c.org_id,
        _books.c.channel_id,
        _books.c.currency,
        _books.c.rounding_mode,
        _books.c.effective_from,
        _books.c.effective_to,
        _books.c.version,
        _rules.c.id.label("rule_id"),
        _rules.c.selector,
        _rules.c.sku_id,
        _rules.c.category,
        _rules.c.rule_type,
        _rules.c.value,
        _rules.c.tiers,
        _rules.c.priority,
    )
    .select_from(
        _books.outerjoin(
            _rules,
            and_(
                _rules.c.price_book_id == _books.c.id,
                _rules.c.tenant_id == _TENANT,
                or_(
                    _rules.c.selector == "all",
                    _rules.c.sku_id == any_(_SKU_IDS),
                    _rules.c.category == any_(bindparam("categories", type_=ARRAY(String))),
                ),
            ),
        )
    )
    .where(
        _books.c.tenant_id == _TENANT,
        _books.c.currency == bindparam("currency", type_=String),
        _books.c.effective_from <= bindparam("at", type_=DateTime(timezone=True)),
        or_(_books.c.effective_to.is_(None), _books.c.effective_to > bindparam("at")),
        or_(
            _books.c.scope_type == "global",
            and_(_books.c.scope_type == "org", _books.c.org_id == bindparam("org", type_=Uuid)),
            and_(
                _books.c.scope_type == "channel",
                _books.c.channel_id == bindparam("channel", type_=Uuid),
            ),
            and_(
                _books.c.scope_type == "org_channel",
                _books.c.org_id == bindparam("org"),
                _books.c.channel_id == bindparam("channel"),
            ),
        ),
    )
    # a book's rules in creation order (ids are time-ordered), as the explanation lists them
    .order_by(_rules.c.id)
)


async def sku_infos(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, SkuInfo]:
    rows = await session.execute(SKUS, {"tenant": tenant_id, "sku_ids": ids})
    return {r[0]: SkuInfo(*r) for r in rows}


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
    rows = await session.execute(
        CANDIDATES,
        {
            "tenant": tenant_id,
            "sku_ids": [s.id for s in skus],
            "categories": list({s.category for s in skus if s.category is not None}),
            "currency": currency,
            "at": at,
            "org": org_id,
            "channel": channel_id,
        },
    )
    books: dict[uuid.UUID, Book] = {}
    rules: list[Rule] = []
    for r in rows:
        book_id = r[0]
        if book_id not in books:
            books[book_id] = Book(*r[:10])
        if r[10] is not None:
            rules.append(
                Rule(
                    r[10],
                    book_id,
                    r[11],
                    r[12],
                    r[13],
                    r[14],
                    r[15],
                    tuple(
                        (Decimal(str(t["min_quantity"])), Decimal(str(t["value"]))) for t in r[16]
                    ),
                    r[17],
                )
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
