"""Applying validated rows, inside the one transaction of an import. Rows match on natural
keys, so the same file twice changes nothing:
- organisations: name; relationships: org, type, target and start;
- products and SKUs: product code and SKU code under their manufacturer, staged and
  upserted set-based (service._import_skus, repository.apply_staged_skus), updating only
  what differs;
- price books: scope, currency and effective_from; the file states each book's whole rule
  set (a changed set replaces the book's rules: a new version and an event).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import AppError
from services.catalog.models import Agreement, Channel, Organisation, OrgRelationship, Sku
from services.catalog.orgs import service as orgs
from services.catalog.orgs.schemas import OrganisationCreate, RelationshipCreate
from services.catalog.pricing import service as pricing
from services.catalog.pricing.schemas import PriceBookCreate, PriceBookUpdate, PriceRuleCreate
from services.catalog.transfer.schemas import (
    AgreementRow,
    OrganisationRow,
    PriceBookRow,
    RelationshipRow,
)

Counts = dict[str, int]


class RowFailed(Exception):
    def __init__(self, row: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error = {"row": row, "field": field, "message": message}


async def orgs_by_name(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Organisation]:
    rows = await session.scalars(
        select(Organisation).where(Organisation.tenant_id == tenant_id).order_by(Organisation.id)
    )
    out: dict[str, Organisation] = {}
    for o in rows:
        out.setdefault(o.name, o)
    return out


def _org_id(by_name: dict[str, Organisation], name: str | None, n: int, field: str) -> Any:
    if name is None:
        return None
    if name not in by_name:
        raise RowFailed(n, f"No organisation named {name}", field)
    return by_name[name].id


async def organisation(
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


async def relationship(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    row: RelationshipRow,
    by_name: dict[str, Organisation],
    n: int,
) -> str:
    child = _org_id(by_name, row.org, n, "org")
    parent = _org_id(by_name, row.target, n, "target")
    same = await session.scalar(
        select(OrgRelationship).where(
            OrgRelationship.tenant_id == tenant_id,
            OrgRelationship.child_org_id == child,
            OrgRelationship.parent_org_id == parent,
            OrgRelationship.relation_type == row.relation_type,
            OrgRelationship.active_from == row.active_from,
        )
    )
    if same is not None and same.active_to == row.active_to:
        return "unchanged"
    await orgs.create_relationship(
        session,
        tenant_id,
        child,
        RelationshipCreate(
            relation_type=row.relation_type,
            target_org_id=parent,
            active_from=row.active_from,
            active_to=row.active_to,
        ),
    )
    return "created"


@dataclass
class _Book:
    first_row: int
    head: PriceBookRow
    rules: list[tuple[int, PriceBookRow]] = field(default_factory=list)


BookKey = tuple[str, str | None, str | None, str, datetime]


class PriceBooks:
    """Collects a file's rows by book (the book's columns must agree on every row), then
    applies each book."""

    def __init__(self) -> None:
        self.books: dict[BookKey, _Book] = {}

    def add(self, n: int, row: PriceBookRow) -> None:
        key = (row.scope_type, row.org, row.channel, row.currency, row.effective_from)
        book = self.books.get(key)
        if book is None:
            book = self.books[key] = _Book(n, row)
        elif (row.book, row.rounding_mode, row.effective_to) != (
            book.head.book,
            book.head.rounding_mode,
            book.head.effective_to,
        ):
            raise RowFailed(
                n, f"book, rounding_mode and effective_to differ from row {book.first_row}"
            )
        if row.selector is not None:
            book.rules.append((n, row))

    async def apply(
        self, session: AsyncSession, tenant_id: uuid.UUID, by_name: dict[str, Organisation]
    ) -> Counts:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        channels = {
            c.name: c.id
            for c in await session.scalars(select(Channel).where(Channel.tenant_id == tenant_id))
        }
        sku_ids = await _sku_ids(
            session,
            tenant_id,
            (r.sku_code for b in self.books.values() for _, r in b.rules if r.sku_code),
        )
        for book in self.books.values():
            outcome = await self._book(session, tenant_id, book, by_name, channels, sku_ids)
            counts[outcome] += 1
        return counts

    async def _book(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        book: _Book,
        by_name: dict[str, Organisation],
        channels: dict[str, uuid.UUID],
        sku_ids: dict[tuple[uuid.UUID | None, str], uuid.UUID],
    ) -> str:
        head, n = book.head, book.first_row
        org_id = _org_id(by_name, head.org, n, "org")
        channel_id = None
        if head.channel is not None:
            if head.channel not in channels:
                raise RowFailed(n, f"No channel named {head.channel}", "channel")
            channel_id = channels[head.channel]
        rules = [_rule(r, m, by_name, sku_ids) for m, r in book.rules]
        try:
            found = await pricing.find_book(
                session,
                tenant_id,
                head.scope_type,
                org_id,
                channel_id,
                head.currency,
                head.effective_from,
            )
            if found is None:
                created = await pricing.create_book(
                    session,
                    tenant_id,
                    PriceBookCreate(
                        name=head.book,
                        scope_type=head.scope_type,
                        org_id=org_id,
                        channel_id=channel_id,
                        currency=head.currency,
                        rounding_mode=head.rounding_mode,
                        effective_from=head.effective_from,
                        effective_to=head.effective_to,
                    ),
                )
                await pricing.replace_rules(session, created, rules, announce=False)
                return "created"
            same_head = (found.name, found.rounding_mode, found.effective_to) == (
                head.book,
                head.rounding_mode,
                head.effective_to,
            )
            same_rules = await pricing.same_rules(session, found, rules)
            if same_head and same_rules:
                return "unchanged"
            if not same_head:
                await pricing.update_book(
                    session,
                    found,
                    PriceBookUpdate(
                        name=head.book,
                        rounding_mode=head.rounding_mode,
                        effective_to=head.effective_to,
                    ),
                )
            if not same_rules:
                await pricing.replace_rules(session, found, rules, announce=True)
            return "updated"
        except AppError as exc:
            raise RowFailed(n, f"{exc.code}: {exc.detail}") from None


def _rule(
    row: PriceBookRow,
    n: int,
    by_name: dict[str, Organisation],
    sku_ids: dict[tuple[uuid.UUID | None, str], uuid.UUID],
) -> PriceRuleCreate:
    sku_id = None
    if row.sku_code is not None:
        maker = _org_id(by_name, row.sku_manufacturer, n, "sku_manufacturer")
        sku_id = sku_ids.get((maker, row.sku_code))
        if sku_id is None:
            raise RowFailed(
                n, f"No SKU {row.sku_code} of {row.sku_manufacturer or 'no maker'}", "sku_code"
            )
    tiers = []
    for t in row.tiers:
        q, _, v = t.partition(":")
        tiers.append({"min_quantity": Decimal(q), "value": Decimal(v)})
    try:
        return PriceRuleCreate.model_validate(
            {
                "selector": row.selector,
                "sku_id": sku_id,
                "category": row.category,
                "rule_type": row.rule_type,
                "value": row.value,
                "tiers": tiers,
                "priority": row.priority,
            }
        )
    except ValueError as exc:
        raise RowFailed(n, str(exc).splitlines()[-1].strip()) from None


async def _sku_ids(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Iterable[str]
) -> dict[tuple[uuid.UUID | None, str], uuid.UUID]:
    wanted = sorted(set(codes))
    out: dict[tuple[uuid.UUID | None, str], uuid.UUID] = {}
    for i in range(0, len(wanted), 5000):
        rows = await session.execute(
            select(Sku.id, Sku.manufacturer_org_id, Sku.sku_code).where(
                Sku.tenant_id == tenant_id, Sku.sku_code.in_(wanted[i : i + 5000])
            )
        )
        out.update({(m, c): s for s, m, c in rows})
    return out


async def agreement(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    row: AgreementRow,
    by_name: dict[str, Organisation],
    n: int,
) -> str:
    if row.effective_to is not None and row.effective_to <= row.effective_from:
        raise RowFailed(n, "effective_to must be after effective_from", "effective_to")
    wanted = {
        "kind": row.kind,
        "party_a_org_id": _org_id(by_name, row.party_a, n, "party_a"),
        "party_b_org_id": _org_id(by_name, row.party_b, n, "party_b"),
        "status": row.status,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
        "scope": row.scope,
        "terms": row.terms,
    }
    found = await session.scalar(
        select(Agreement)
        .where(Agreement.tenant_id == tenant_id, Agreement.name == row.name)
        .order_by(Agreement.id)
        .limit(1)
    )
    if found is None:
        session.add(Agreement(tenant_id=tenant_id, name=row.name, **wanted))
        await session.flush()
        return "created"
    if all(getattr(found, k) == v for k, v in wanted.items()):
        return "unchanged"
    for k, v in wanted.items():
        setattr(found, k, v)
    await session.flush()
    return "updated"
