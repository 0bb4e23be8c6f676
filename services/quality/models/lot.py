"""Quality's copy of production's lots and products (from production's events), and the
tenant's quality settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin
from services.quality.models.base import Base


class Lot(TenantMixin, TimestampMixin, Base):
    """A lot as production last told us; `id` is production's lot id."""

    __tablename__ = "lots"
    __table_args__ = (
        # the lots awaiting inspection, newest first
        Index(
            "ix_lots_awaiting",
            "tenant_id",
            text("id DESC"),
            postgresql_where=text("gate = 'qa_pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    number: Mapped[str] = mapped_column(String(120))
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    order_number: Mapped[str | None] = mapped_column(String(100))
    plant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    product_sku: Mapped[str | None] = mapped_column(String(100))
    # the product version the lot's order is made to (its checklist is chosen by it)
    product_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    product_version: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    gate: Mapped[str] = mapped_column(String(20))
    # how many times the lot reached qa_pending: each arrival is an inspection round
    qa_round: Mapped[int] = mapped_column(Integer, default=0)
    gate_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderMaterials(TenantMixin, TimestampMixin, Base):
    """What an order's lots are made of, as production allocated it
    (`production.order.allocated`): the copy a passport's materials come from."""

    __tablename__ = "order_materials"

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    order_number: Mapped[str] = mapped_column(String(100))
    product_sku: Mapped[str] = mapped_column(String(100))
    product_version_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[int] = mapped_column(Integer)
    # [{item_id, sku, name, quantity (decimal string, whole order), unit}]
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    allocated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Product(IdMixin, TenantMixin, TimestampMixin, Base):
    """A product as quality knows it: the SKU from production's lots, plus what quality adds
    (name, GTIN for Digital Link, a sampling plan override)."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "sku"),)

    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    sampling: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class TenantSettings(TimestampMixin, Base):
    """Per tenant: the default sampling plan (from its industry template) and what reports
    and passports show of the provider."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sampling: Mapped[dict[str, Any]] = mapped_column(JSONB)
    name: Mapped[str | None] = mapped_column(String(255))
    logo_url: Mapped[str | None] = mapped_column(String(1000))
    issuer_did: Mapped[str | None] = mapped_column(String(500))


class ReceivedEvent(TenantMixin, Base):
    """Events already applied: a redelivery changes nothing."""

    __tablename__ = "received_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
