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


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule the resolution looked at, with its value at the quantity and what became of
    it. One object per (rule, outcome, reason) in a call: SKUs that share it share it."""

    book: Book
    rule: Rule
    value: Decimal
    tier: Decimal | None
    outcome: str  # won | applied | beaten | skipped
    reason: str


@dataclass(slots=True)
class Outcome:
    sku: SkuInfo
    quantity: Decimal
    currency: str
    unit_price: Decimal | None = None
    total: Decimal | None = None
    book: Book | None = None
    won: Candidate | None = None
    discount: Candidate | None = None
    books: list[Book] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
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


@dataclass(slots=True)
class _Entry:
    """A rule of a matching book, with what every SKU of the call shares: its place in the
    book's order, its precedence key and its value at the quantity."""

    pos: int
    book: Book
    rule: Rule
    key: tuple[int, int, int, uuid.UUID]
    value: Decimal
    tier: Decimal | None


class Resolver:
    """Resolves any number of SKUs against one set of candidate books and rules (one org,
    channel, quantity, currency and moment): what the SKUs share (matching books, rules by
    selector, tier values, candidates, labels) is worked out once per call."""

    def __init__(
        self,
        books: list[Book],
        rules: list[Rule],
        *,
        org_id: uuid.UUID | None,
        channel_id: uuid.UUID | None,
        quantity: Decimal,
        currency: str,
        at: datetime,
    ) -> None:
        self.quantity, self.currency, self.at = quantity, currency, at
        self.books = sorted(
            (b for b in books if book_matches(b, org_id, channel_id, currency, at)),
            key=lambda b: SCOPE_RANK[b.scope_type],
        )
        by_id = {b.id: b for b in self.books}
        self._all: list[_Entry] = []
        self._by_sku: dict[uuid.UUID, list[_Entry]] = {}
        self._by_category: dict[str, list[_Entry]] = {}
        rank = {b.id: i for i, b in enumerate(self.books)}
        # the books' order, then each book's rules in the order given
        ordered = sorted((r for r in rules if r.book_id in by_id), key=lambda r: rank[r.book_id])
        for pos, rule in enumerate(ordered):
            book = by_id[rule.book_id]
            value, tier = tier_value(rule, quantity)
            entry = _Entry(pos, book, rule, _order(book, rule), value, tier)
            if rule.selector == "sku":
                if rule.sku_id is not None:
                    self._by_sku.setdefault(rule.sku_id, []).append(entry)
            elif rule.selector == "category":
                if rule.category is not None:
                    self._by_category.setdefault(rule.category, []).append(entry)
            else:
                self._all.append(entry)
        self._candidates: dict[tuple[uuid.UUID, str, str], Candidate] = {}
        self._labels: dict[uuid.UUID, str] = {}

    def _selected(self, sku: SkuInfo) -> list[_Entry]:
        mine = self._by_sku.get(sku.id, [])
        of_category = self._by_category.get(sku.category, []) if sku.category is not None else []
        if not mine and not of_category:
            return self._all
        return sorted([*self._all, *mine, *of_category], key=lambda e: e.pos)

    def _candidate(self, e: _Entry, outcome: str, reason: str) -> Candidate:
        key = (e.rule.id, outcome, reason)
        got = self._candidates.get(key)
        if got is None:
            got = self._candidates[key] = Candidate(
                e.book, e.rule, e.value, e.tier, outcome, reason
            )
        return got

    def _label(self, e: _Entry) -> str:
        got = self._labels.get(e.rule.id)
        if got is None:
            got = self._labels[e.rule.id] = _label(e.book, e.rule)
        return got

    def resolve(self, sku: SkuInfo) -> Outcome:
        quantity, currency = self.quantity, self.currency
        out = Outcome(sku=sku, quantity=quantity, currency=currency, books=self.books)
        bases: list[_Entry] = []
        discounts: list[_Entry] = []
        has_cost = sku.cost is not None and sku.cost_currency == currency
        for e in self._selected(sku):
            kind = e.rule.rule_type
            if kind == "margin" and not has_cost:
                out.candidates.append(
                    self._candidate(
                        e,
                        "skipped",
                        f"the SKU has no cost in {currency}, so a margin cannot apply",
                    )
                )
                continue
            (discounts if kind == "discount" else bases).append(e)
        if not bases:
            out.explanation.append(
                f"No fixed or margin rule for {sku.sku_code} in {len(self.books)} matching "
                f"{currency} book(s) at {self.at.isoformat()}"
            )
            for d in discounts:
                out.candidates.append(self._candidate(d, "skipped", "no base price"))
            return out
        bases.sort(key=lambda e: e.key)
        win = bases[0]
        book, rule, value, tier = win.book, win.rule, win.value, win.tier
        if rule.rule_type == "fixed":
            base = value
            out.explanation.append(f"Base {value} {currency} from {self._label(win)}")
        else:
            assert sku.cost is not None
            base = sku.cost * (1 + value / HUNDRED)
            out.explanation.append(
                f"Base {sku.cost} cost + {value}% margin = {base} from {self._label(win)}"
            )
        if tier is not None:
            out.explanation.append(f"Quantity tier from {tier} applies (quantity {quantity})")
        out.book = book
        out.won = self._candidate(win, "won", "best base rule")
        out.candidates.append(out.won)
        for other in bases[1:]:
            out.candidates.append(
                self._candidate(
                    other, "beaten", _why_beaten((other.book, other.rule), (book, rule))
                )
            )
        rank = win.key[0]
        eligible = sorted((d for d in discounts if d.key[0] <= rank), key=lambda e: e.key)
        price = base
        if eligible:
            best = eligible[0]
            price = base * (1 - best.value / HUNDRED)
            out.discount = self._candidate(best, "applied", "best discount")
            out.candidates.append(out.discount)
            out.explanation.append(f"Discount {best.value}% from {self._label(best)} gives {price}")
            for other in eligible[1:]:
                out.candidates.append(
                    self._candidate(
                        other,
                        "beaten",
                        "one discount applies (no stacking): "
                        + _why_beaten((other.book, other.rule), (best.book, best.rule)),
                    )
                )
        for d in discounts:
            if d.key[0] > rank:
                out.candidates.append(
                    self._candidate(
                        d,
                        "beaten",
                        f"a {d.book.scope_type} discount cannot change a {book.scope_type} price",
                    )
                )
        out.unit_price = round_money(price, currency, book.rounding_mode)
        out.total = round_money(out.unit_price * quantity, currency, book.rounding_mode)
        out.explanation.append(
            f"Unit price {out.unit_price} {currency} (rounded {book.rounding_mode}); "
            f"total {out.total} for {quantity}"
        )
        return out
