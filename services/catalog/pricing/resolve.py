"""Price resolution, explained.

For a SKU, an organisation, a channel, a quantity, a currency and a moment:

1. Candidate books: the tenant's books in that currency whose window holds the moment
   (`effective_from <= at < effective_to`), of the scopes that match: org_channel (the org
   on the channel), channel, org, global. Windows of one scope and currency never overlap
   (an exclusion constraint), so there is at most one book per scope.
2. Precedence: org_channel > channel > org > global. The base price comes from the first
   book, in that order, with an applicable fixed or margin rule.
3. Within a book, the rule that applies is the most specific (sku > category > all), then
   the lowest `priority`, then the oldest rule. A margin rule applies only when the SKU has a
   cost in the book's currency (no FX); otherwise it is skipped and says so.
4. Quantity tiers: a rule's value is that of its tier with the greatest `min_quantity` not
   above the quantity, else the rule's own `value`.
5. At most one discount applies (no stacking): the best discount rule (same ordering) from
   the base's book or a book of higher precedence. A lower-precedence book never changes a
   price a more specific book set.
6. The unit price is rounded once, at the end, to the currency's minor unit with the base
   book's rounding mode; the total is the unit price times the quantity, rounded the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.catalog.money import round_money

SCOPE_RANK = {"org_channel": 0, "channel": 1, "org": 2, "global": 3}
SELECTOR_RANK = {"sku": 0, "category": 1, "all": 2}
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Book:
    id: uuid.UUID
    name: str
    scope_type: str
    org_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    currency: str
    rounding_mode: str
    effective_from: datetime
    effective_to: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class Rule:
    id: uuid.UUID
    book_id: uuid.UUID
    selector: str
    sku_id: uuid.UUID | None
    category: str | None
    rule_type: str
    value: Decimal
    tiers: tuple[tuple[Decimal, Decimal], ...]
    priority: int


@dataclass(frozen=True, slots=True)
class SkuInfo:
    id: uuid.UUID
    sku_code: str
    category: str | None
    cost: Decimal | None
    cost_currency: str | None


@dataclass(slots=True)
class Outcome:
    sku: SkuInfo
    quantity: Decimal
    currency: str
    unit_price: Decimal | None = None
    total: Decimal | None = None
    book: Book | None = None
    rule: Rule | None = None
    rule_value: Decimal | None = None
    tier: Decimal | None = None
    discount: tuple[Book, Rule, Decimal, Decimal | None] | None = None
    books: list[Book] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


def book_matches(
    book: Book, org_id: uuid.UUID | None, channel_id: uuid.UUID | None, currency: str, at: datetime
) -> bool:
    if book.currency != currency or book.effective_from > at:
        return False
    if book.effective_to is not None and book.effective_to <= at:
        return False
    if book.scope_type == "global":
        return True
    if book.scope_type == "org":
        return org_id is not None and book.org_id == org_id
    if book.scope_type == "channel":
        return channel_id is not None and book.channel_id == channel_id
    return (
        org_id is not None
        and channel_id is not None
        and (book.org_id, book.channel_id)
        == (
            org_id,
            channel_id,
        )
    )


def rule_selects(rule: Rule, sku: SkuInfo) -> bool:
    if rule.selector == "sku":
        return rule.sku_id == sku.id
    if rule.selector == "category":
        return sku.category is not None and rule.category == sku.category
    return True


def tier_value(rule: Rule, quantity: Decimal) -> tuple[Decimal, Decimal | None]:
    """(the rule's value at `quantity`, the tier's min_quantity or None)."""
    best: tuple[Decimal, Decimal | None] = (rule.value, None)
    for min_q, value in rule.tiers:
        if min_q <= quantity and (best[1] is None or min_q > best[1]):
            best = (value, min_q)
    return best


def _order(book: Book, rule: Rule) -> tuple[int, int, int, uuid.UUID]:
    return (SCOPE_RANK[book.scope_type], SELECTOR_RANK[rule.selector], rule.priority, rule.id)


def _why_beaten(loser: tuple[Book, Rule], winner: tuple[Book, Rule]) -> str:
    (lb, lr), (wb, wr) = loser, winner
    if SCOPE_RANK[lb.scope_type] != SCOPE_RANK[wb.scope_type]:
        return f"{lb.scope_type} book has lower precedence than {wb.scope_type}"
    if SELECTOR_RANK[lr.selector] != SELECTOR_RANK[wr.selector]:
        return f"{lr.selector} selector is less specific than {wr.selector}"
    if lr.priority != wr.priority:
        return f"priority {lr.priority} loses to {wr.priority}"
    return "an older rule with the same priority wins"


def _label(book: Book, rule: Rule) -> str:
    return (
        f"{rule.rule_type} rule {rule.id} ({rule.selector}) in {book.scope_type} book '{book.name}'"
    )


def resolve_one(
    sku: SkuInfo,
    books: list[Book],
    rules_by_book: dict[uuid.UUID, list[Rule]],
    *,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    quantity: Decimal,
    currency: str,
    at: datetime,
) -> Outcome:
    out = Outcome(sku=sku, quantity=quantity, currency=currency)
    matching = sorted(
        (b for b in books if book_matches(b, org_id, channel_id, currency, at)),
        key=lambda b: SCOPE_RANK[b.scope_type],
    )
    out.books = matching
    bases: list[tuple[Book, Rule]] = []
    discounts: list[tuple[Book, Rule]] = []
    for book in matching:
        for rule in rules_by_book.get(book.id, ()):
            if not rule_selects(rule, sku):
                continue
            if rule.rule_type == "margin" and (sku.cost is None or sku.cost_currency != currency):
                out.candidates.append(
                    _candidate(
                        book,
                        rule,
                        quantity,
                        "skipped",
                        f"the SKU has no cost in {currency}, so a margin cannot apply",
                    )
                )
                continue
            (discounts if rule.rule_type == "discount" else bases).append((book, rule))
    if not bases:
        out.explanation.append(
            f"No fixed or margin rule for {sku.sku_code} in {len(matching)} matching "
            f"{currency} book(s) at {at.isoformat()}"
        )
        for book, rule in discounts:
            out.candidates.append(_candidate(book, rule, quantity, "skipped", "no base price"))
        return out
    bases.sort(key=lambda br: _order(*br))
    book, rule = bases[0]
    value, tier = tier_value(rule, quantity)
    if rule.rule_type == "fixed":
        base = value
        out.explanation.append(f"Base {value} {currency} from {_label(book, rule)}")
    else:
        assert sku.cost is not None
        base = sku.cost * (1 + value / HUNDRED)
        out.explanation.append(
            f"Base {sku.cost} cost + {value}% margin = {base} from {_label(book, rule)}"
        )
    if tier is not None:
        out.explanation.append(f"Quantity tier from {tier} applies (quantity {quantity})")
    out.book, out.rule, out.rule_value, out.tier = book, rule, value, tier
    out.candidates.append(_candidate(book, rule, quantity, "won", "best base rule"))
    for other in bases[1:]:
        out.candidates.append(
            _candidate(*other, quantity, "beaten", _why_beaten(other, (book, rule)))
        )
    eligible = sorted(
        (d for d in discounts if SCOPE_RANK[d[0].scope_type] <= SCOPE_RANK[book.scope_type]),
        key=lambda br: _order(*br),
    )
    price = base
    if eligible:
        dbook, drule = eligible[0]
        pct, dtier = tier_value(drule, quantity)
        price = base * (1 - pct / HUNDRED)
        out.discount = (dbook, drule, pct, dtier)
        out.candidates.append(_candidate(dbook, drule, quantity, "applied", "best discount"))
        out.explanation.append(f"Discount {pct}% from {_label(dbook, drule)} gives {price}")
        for other in eligible[1:]:
            out.candidates.append(
                _candidate(
                    *other,
                    quantity,
                    "beaten",
                    "one discount applies (no stacking): " + _why_beaten(other, (dbook, drule)),
                )
            )
    for d in discounts:
        if SCOPE_RANK[d[0].scope_type] > SCOPE_RANK[book.scope_type]:
            out.candidates.append(
                _candidate(
                    *d,
                    quantity,
                    "beaten",
                    f"a {d[0].scope_type} discount cannot change a {book.scope_type} price",
                )
            )
    out.unit_price = round_money(price, currency, book.rounding_mode)
    out.total = round_money(out.unit_price * quantity, currency, book.rounding_mode)
    out.explanation.append(
        f"Unit price {out.unit_price} {currency} (rounded {book.rounding_mode}); "
        f"total {out.total} for {quantity}"
    )
    return out


def _candidate(
    book: Book, rule: Rule, quantity: Decimal, outcome: str, reason: str
) -> dict[str, Any]:
    value, tier = tier_value(rule, quantity)
    return {
        "book": book_ref(book),
        "rule": {
            "id": rule.id,
            "selector": rule.selector,
            "rule_type": rule.rule_type,
            "value": value,
            "tier_min_quantity": tier,
        },
        "outcome": outcome,
        "reason": reason,
    }


def book_ref(book: Book) -> dict[str, Any]:
    return {
        "id": book.id,
        "name": book.name,
        "scope_type": book.scope_type,
        "version": book.version,
        "rounding_mode": book.rounding_mode,
    }
