"""Price books, rules, resolution (rules in resolve.py) and agreements (read-only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.catalog.channels.service import get_channel
from services.catalog.events import PriceBookUpdated, emit
from services.catalog.models import Agreement, PriceBook, PriceRule
from services.catalog.money import is_currency
from services.catalog.orgs.service import get_org
from services.catalog.pricing import repository as repo
from services.catalog.pricing import resolve as resolve_
from services.catalog.pricing.resolve import Book, Outcome, Resolver
from services.catalog.pricing.schemas import (
    BookRef,
    Candidate,
    PriceBookCreate,
    PriceBookUpdate,
    PriceRuleCreate,
    Resolution,
    ResolveRequest,
    ResolveResponse,
    RuleRef,
)
from services.catalog.products.service import SkuNotFound, UnknownCurrency, get_sku


class PriceBookNotFound(NotFound):
    code, title = "price_book_not_found", "Price book not found"


class PriceRuleNotFound(NotFound):
    code, title = "price_rule_not_found", "Price rule not found"


class AgreementNotFound(NotFound):
    code, title = "agreement_not_found", "Agreement not found"


class InvalidScope(Unprocessable):
    code, title = "invalid_scope", "The scope does not name what its type needs"


class PriceBookOverlaps(Conflict):
    code, title = "price_book_overlaps", "Another book of this scope covers part of the window"


class TooManySkus(Unprocessable):
    code, title = "too_many_skus", "Too many SKUs in one call"


NEEDS = {
    "global": (False, False),
    "org": (True, False),
    "channel": (False, True),
    "org_channel": (True, True),
}


async def _check_rule(session: AsyncSession, tenant_id: uuid.UUID, body: PriceRuleCreate) -> None:
    if body.sku_id is not None:
        await get_sku(session, tenant_id, body.sku_id)


async def _check_window(
    session: AsyncSession, book: PriceBook, exclude: uuid.UUID | None = None
) -> None:
    other = await repo.find_overlapping(
        session,
        book.tenant_id,
        book.scope_type,
        book.org_id,
        book.channel_id,
        book.currency,
        book.effective_from,
        book.effective_to,
        exclude,
    )
    if other is not None:
        raise PriceBookOverlaps(
            f"'{other.name}' ({other.id}) already covers {other.effective_from.isoformat()} to "
            f"{other.effective_to.isoformat() if other.effective_to else 'open end'} "
            f"for this {book.scope_type} scope in {book.currency}",
            extra={"overlapping_price_book_id": str(other.id)},
        )


async def _updated(session: AsyncSession, book: PriceBook, change: str) -> None:
    await emit(
        session,
        PriceBookUpdated(
            price_book_id=book.id,
            scope_type=book.scope_type,
            org_id=book.org_id,
            channel_id=book.channel_id,
            currency=book.currency,
            version=book.version,
            change=change,
        ),
        tenant_id=book.tenant_id,
        subject=f"price-books/{book.id}",
    )


async def create_book(
    session: AsyncSession, tenant_id: uuid.UUID, body: PriceBookCreate
) -> PriceBook:
    need_org, need_channel = NEEDS[body.scope_type]
    if need_org != (body.org_id is not None) or need_channel != (body.channel_id is not None):
        raise InvalidScope(
            f"A {body.scope_type} book names "
            + ("an org_id" if need_org else "no org_id")
            + " and "
            + ("a channel_id" if need_channel else "no channel_id")
        )
    if not is_currency(body.currency):
        raise UnknownCurrency(f"{body.currency} is not an ISO 4217 currency")
    if body.org_id:
        await get_org(session, tenant_id, body.org_id)
    if body.channel_id:
        await get_channel(session, tenant_id, body.channel_id)
    book = PriceBook(tenant_id=tenant_id, **body.model_dump(exclude={"rules"}))
    await _check_window(session, book)
    session.add(book)
    await session.flush()
    for rule in body.rules:
        await _check_rule(session, tenant_id, rule)
        session.add(_rule(tenant_id, book.id, rule))
    await session.flush()
    await _updated(session, book, "created")
    return book


def _rule(tenant_id: uuid.UUID, book_id: uuid.UUID, body: PriceRuleCreate) -> PriceRule:
    data = body.model_dump(mode="json")
    return PriceRule(
        tenant_id=tenant_id,
        price_book_id=book_id,
        **{**data, "value": body.value, "sku_id": body.sku_id},
    )


async def get_book(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> PriceBook:
    book = await repo.get_book(session, tenant_id, id, lock=lock)
    if book is None:
        raise PriceBookNotFound(f"No price book {id}")
    return book


async def update_book(session: AsyncSession, book: PriceBook, body: PriceBookUpdate) -> PriceBook:
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is not None or field == "effective_to":
            setattr(book, field, value)
    if book.effective_to is not None and book.effective_to <= book.effective_from:
        raise Unprocessable("effective_to must be after effective_from", code="invalid_window")
    await _check_window(session, book, exclude=book.id)
    await session.flush()
    await _updated(session, book, "updated")
    return book


async def list_books(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    scope_type: str | None,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    currency: str | None,
) -> tuple[list[PriceBook], str | None]:
    stmt = repo.books_stmt(tenant_id, scope_type, org_id, channel_id, currency)
    return await paginate(session, stmt, page, keys=[PriceBook.id])


async def _touch(session: AsyncSession, book: PriceBook, change: str) -> None:
    # a rule change is a change of the book: new version (ETag) and an event
    book.updated_at = datetime.now(UTC)
    await session.flush()
    await _updated(session, book, change)


async def add_rule(
    session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID, body: PriceRuleCreate
) -> PriceRule:
    book = await get_book(session, tenant_id, book_id, lock=True)
    await _check_rule(session, tenant_id, body)
    rule = _rule(tenant_id, book.id, body)
    session.add(rule)
    await session.flush()
    await _touch(session, book, "rule_added")
    return rule


async def delete_rule(
    session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID, rule_id: uuid.UUID
) -> None:
    book = await get_book(session, tenant_id, book_id, lock=True)
    rule = await repo.get_rule(session, tenant_id, book.id, rule_id)
    if rule is None:
        raise PriceRuleNotFound(f"No rule {rule_id} in price book {book_id}")
    await session.delete(rule)
    await _touch(session, book, "rule_deleted")


async def list_rules(
    session: AsyncSession, tenant_id: uuid.UUID, book_id: uuid.UUID, page: PageParams
) -> tuple[list[PriceRule], str | None]:
    await get_book(session, tenant_id, book_id)
    return await paginate(session, repo.rules_stmt(tenant_id, book_id), page, keys=[PriceRule.id])


async def resolve(
    session: AsyncSession, tenant_id: uuid.UUID, body: ResolveRequest, max_skus: int
) -> ResolveResponse:
    ids = list(dict.fromkeys(body.sku_ids))
    if len(ids) > max_skus:
        raise TooManySkus(f"At most {max_skus} SKUs per call")
    if not is_currency(body.currency):
        raise UnknownCurrency(f"{body.currency} is not an ISO 4217 currency")
    at = body.at or datetime.now(UTC)
    skus = await repo.sku_infos(session, tenant_id, ids)
    missing = [str(i) for i in ids if i not in skus]
    if missing:
        raise SkuNotFound(f"No SKU {', '.join(missing)}", extra={"missing_sku_ids": missing})
    books, rules = await repo.candidates(
        session, tenant_id, skus.values(), body.org_id, body.channel_id, body.currency, at
    )
    resolver = Resolver(
        books,
        rules,
        org_id=body.org_id,
        channel_id=body.channel_id,
        quantity=body.quantity,
        currency=body.currency,
        at=at,
    )
    out = _Explained(resolver.books)
    return ResolveResponse(
        org_id=body.org_id,
        channel_id=body.channel_id,
        currency=body.currency,
        at=at,
        items=[out.resolution(resolver.resolve(skus[sku_id])) for sku_id in ids],
    )


class _Explained:
    """Outcomes as the API's models; the refs and candidates the SKUs of one call share are
    made once."""

    def __init__(self, books: list[Book]) -> None:
        self._books: dict[uuid.UUID, BookRef] = {}
        self._candidates: dict[int, Candidate] = {}
        self.considered = [self.book(b) for b in books]

    def book(self, book: Book) -> BookRef:
        ref = self._books.get(book.id)
        if ref is None:
            ref = self._books[book.id] = BookRef(
                id=book.id,
                name=book.name,
                scope_type=book.scope_type,  # type: ignore[arg-type]
                version=book.version,
                rounding_mode=book.rounding_mode,
            )
        return ref

    def candidate(self, c: resolve_.Candidate) -> Candidate:
        # the resolver makes one object per candidate and call, alive while this is
        model = self._candidates.get(id(c))
        if model is None:
            model = self._candidates[id(c)] = Candidate(
                book=self.book(c.book),
                rule=RuleRef(
                    id=c.rule.id,
                    selector=c.rule.selector,  # type: ignore[arg-type]
                    rule_type=c.rule.rule_type,  # type: ignore[arg-type]
                    value=c.value,
                    tier_min_quantity=c.tier,
                ),
                outcome=c.outcome,  # type: ignore[arg-type]
                reason=c.reason,
            )
        return model

    def resolution(self, o: Outcome) -> Resolution:
        return Resolution(
            sku_id=o.sku.id,
            sku_code=o.sku.sku_code,
            currency=o.currency,
            quantity=o.quantity,
            found=o.unit_price is not None,
            unit_price=o.unit_price,
            total=o.total,
            book=self.book(o.book) if o.book is not None else None,
            rule=self.candidate(o.won).rule if o.won is not None else None,
            discount=self.candidate(o.discount) if o.discount is not None else None,
            books_considered=self.considered,
            candidates=[self.candidate(c) for c in o.candidates],
            explanation=o.explanation,
        )


async def list_agreements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    org_id: uuid.UUID | None,
    kind: str | None = None,
    status: str | None = None,
    active_at: datetime | None = None,
) -> tuple[list[Agreement], str | None]:
    stmt = repo.agreements_stmt(tenant_id, org_id, kind, status, active_at)
    return await paginate(session, stmt, page, keys=[Agreement.id])


async def get_agreement(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Agreement:
    agreement = await repo.get_agreement(session, tenant_id, id)
    if agreement is None:
        raise AgreementNotFound(f"No agreement {id}")
    return agreement


# --- price book import (services.catalog.transfer): a book's whole rule set at once ------


def rule_key(rule: PriceRule | PriceRuleCreate) -> tuple[object, ...]:
    """What makes two rules the same, to tell an unchanged book from a changed one."""
    tiers = [
        (
            Decimal(str(t["min_quantity"] if isinstance(t, dict) else t.min_quantity)).normalize(),
            Decimal(str(t["value"] if isinstance(t, dict) else t.value)).normalize(),
        )
        for t in rule.tiers
    ]
    return (
        rule.selector,
        str(rule.sku_id or ""),
        rule.category or "",
        rule.rule_type,
        Decimal(str(rule.value)).normalize(),
        tuple(sorted(tiers)),
        rule.priority,
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
    return await repo.find_book(
        session, tenant_id, scope_type, org_id, channel_id, currency, effective_from
    )


async def same_rules(session: AsyncSession, book: PriceBook, rules: list[PriceRuleCreate]) -> bool:
    have = sorted(map(repr, map(rule_key, await repo.book_rules(session, book.tenant_id, book.id))))
    return have == sorted(map(repr, map(rule_key, rules)))


async def replace_rules(
    session: AsyncSession, book: PriceBook, rules: list[PriceRuleCreate], *, announce: bool
) -> None:
    """The book's rules become `rules` (their SKUs are the tenant's: the caller found them);
    `announce`: a new version and catalog.price_book.updated (rules_replaced)."""
    await repo.delete_rules(session, book.tenant_id, book.id)
    session.add_all(_rule(book.tenant_id, book.id, r) for r in rules)
    await session.flush()
    if announce:
        await _touch(session, book, "rules_replaced")
