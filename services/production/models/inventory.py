from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.production.models.base import ZERO, Base, Money, Quantity

LEDGER_KINDS = ("receipt", "issue", "allocation", "release", "adjustment", "return")


class InventoryItem(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """Stock of one SKU at one plant. on_hand and allocated only change with a ledger row."""

    __tablename__ = "inventory_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "plant_id", "sku"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("allocated >= 0 AND allocated <= on_hand", name="allocated_within_on_hand"),
    )

    plant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(30))
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    allocated: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reorder_level: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reorder_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    location: Mapped[str | None] = mapped_column(String(100))

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated


class LedgerEntry(IdMixin, TenantMixin, Base):
    """Append-only: a trigger refuses UPDATE and DELETE (see the migration)."""

    __tablename__ = "inventory_ledger"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receipt','issue','allocation','release','adjustment','return')",
            name="kind_known",
        ),
        Index("ix_inventory_ledger_item_id_id", "item_id", "id"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inventory_items.id"))
    plant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    on_hand_delta: Mapped[Decimal] = mapped_column(Quantity)
    allocated_delta: Mapped[Decimal] = mapped_column(Quantity)
    on_hand_after: Mapped[Decimal] = mapped_column(Quantity)
    allocated_after: Mapped[Decimal] = mapped_column(Quantity)
    actor: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
