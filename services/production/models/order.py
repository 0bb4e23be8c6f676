from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.production.models.base import Base, Money, Quantity

ORDER_STATUSES = ("pending", "allocated", "production", "qa", "packing", "done", "cancelled")


class Order(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """A customer order: made by the provider (tenant_id) for a client tenant."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint(
            "status IN ('pending','allocated','production','qa','packing','done','cancelled')",
            name="status_known",
        ),
        Index("ix_orders_tenant_id_id", "tenant_id", text("id DESC")),
        Index("ix_orders_customer_tenant_id_id", "customer_tenant_id", text("id DESC")),
        Index(
            "ix_orders_open",
            "tenant_id",
            "plant_id",
            postgresql_where=text("status IN ('pending','allocated')"),
        ),
    )

    number: Mapped[str] = mapped_column(String(100))
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    customer_name: Mapped[str | None] = mapped_column(String(255))
    plant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plants.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    product_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product_versions.id"))
    product_sku: Mapped[str] = mapped_column(String(100))
    product_name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderAllocation(IdMixin, TenantMixin, Base):
    """What an order holds of one item; released on cancel, consumed when made."""

    __tablename__ = "order_allocations"
    __table_args__ = (
        CheckConstraint("status IN ('active','released','consumed')", name="status_known"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inventory_items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    status: Mapped[str] = mapped_column(String(20), default="active")
