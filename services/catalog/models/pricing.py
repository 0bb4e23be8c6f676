"""Price books, their rules, and agreements (read-only for now)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin
from services.catalog.models.base import Base, TenantMixin


class PriceBook(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "price_books"
    __table_args__ = (
        Index(
            "ix_price_books_scope", "tenant_id", "currency", "scope_type", "org_id", "channel_id"
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    scope_type: Mapped[str] = mapped_column(String(20))  # global | org | channel | org_channel
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.organisations.id"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.channels.id"))
    currency: Mapped[str] = mapped_column(String(3))
    rounding_mode: Mapped[str] = mapped_column(String(20), default="half_up")
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    effective_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PriceRule(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "price_rules"
    __table_args__ = (
        Index("ix_price_rules_book", "price_book_id"),
        Index("ix_price_rules_sku", "sku_id", postgresql_where=text("sku_id IS NOT NULL")),
        Index(
            "ix_price_rules_category",
            "tenant_id",
            "category",
            postgresql_where=text("category IS NOT NULL"),
        ),
        Index(
            "ix_price_rules_all",
            "tenant_id",
            "price_book_id",
            postgresql_where=text("selector = 'all'"),
        ),
    )

    price_book_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("catalog.price_books.id", ondelete="CASCADE")
    )
    selector: Mapped[str] = mapped_column(String(20))  # sku | category | all
    sku_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    category: Mapped[str | None] = mapped_column(String(120))
    rule_type: Mapped[str] = mapped_column(String(20))  # fixed | margin | discount
    # fixed: the unit price; margin: percent over cost; discount: percent off the base
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    # quantity tiers: [{"min_quantity": 10, "value": "900"}], ascending
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=100)


class Agreement(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "agreements"
    __table_args__ = (Index("ix_agreements_tenant", "tenant_id", "id"),)

    name: Mapped[str] = mapped_column(String(255))
    party_a_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    party_b_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))  # warranty | amc | subscription | distribution
    scope: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    effective_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
