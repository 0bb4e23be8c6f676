from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, and_, delete, func, or_, select
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


def to_book(b: PriceBook) -> Book:
    return Book(
        id=b.id,
        name=b.name,
        scope_type=b.scope_type,
        org_id=b.org_id,
        channel_id=b.channel_id,
        currency=b.currency,
        rounding_mode=b.rounding_mode,
        effective_from=b.effective_from,
        effective_to=b.effective_to,
        version=b.version,
    )


def to_rule(r: PriceRule) -> Rule:
    return Rule(
        id=r.id,
        book_id=r.price_book_id,
        selector=r.selector,
        sku_id=r.sku_id,
        category=r.category,
        rule_type=r.rule_type,
        value=r.value,
        tiers=tuple((Decimal(str(t["min_quantity"])), Decimal(str(t["value"]))) for t in r.tiers),
        priority=r.priority,
    )


async def candidate_books(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str,
    at: datetime,
) -> list[Book]:
    scopes = [PriceBook.scope_type == "global"]
    if org_id is not None:
        scopes.append(and_(PriceBook.scope_type == "org", PriceBook.org_id == org_id))
    if channel_id is not None:
        scopes.append(and_(PriceBook.scope_type == "channel", PriceBook.channel_id == channel_id))
    if org_id is not None and channel_id is not None:
        scopes.append(
            and_(
                PriceBook.scope_type == "org_channel",
                PriceBook.org_id == org_id,
                PriceBook.channel_id == channel_id,
            )
        )
    rows = await session.scalars(
        select(PriceBook).where(
            PriceBook.tenant_id == tenant_id,
            PriceBook.currency == currency,
            PriceBook.effective_from <= at,
            or_(PriceBook.effective_to.is_(None), PriceBook.effective_to > at),
            or_(*scopes),
        )
    )
    return [to_book(b) for b in rows]


async def rules_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    book_ids: list[uuid.UUID],
    skus: list[SkuInfo],
) -> list[Rule]:
    if not book_ids:
        return []
    categories = {s.category for s in skus if s.category is not None}
    selects = [PriceRule.selector == "all", PriceRule.sku_id.in_([s.id for s in skus])]
    if categories:
        selects.append(PriceRule.category.in_(categories))
    rows = await session.scalars(
        select(PriceRule).where(
            PriceRule.tenant_id == tenant_id,
            PriceRule.price_book_id.in_(book_ids),
            or_(*selects),
        )
    )
    return [to_rule(r) for r in rows]


async def sku_infos(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, SkuInfo]:
    rows = await session.execute(
        select(Sku.id, Sku.sku_code, Sku.category, Sku.cost, Sku.cost_currency).where(
            Sku.tenant_id == tenant_id, Sku.id.in_(ids)
        )
    )
    return {r.id: SkuInfo(r.id, r.sku_code, r.category, r.cost, r.cost_currency) for r in rows}


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
