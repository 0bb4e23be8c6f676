from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.production.models.base import Base, Quantity


class Product(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "sku"),)

    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(30), default="pcs")


class ProductVersion(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    """A numbered revision of a product's BOM and stages; immutable once released."""

    __tablename__ = "product_versions"
    __table_args__ = (
        UniqueConstraint("product_id", "number"),
        CheckConstraint("status IN ('draft','released','obsolete')", name="status_known"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    notes: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(255))


class BomLine(IdMixin, TenantMixin, Base):
    """One component of a version: an inventory SKU, or another product (a sub-assembly)."""

    __tablename__ = "bom_lines"
    __table_args__ = (
        CheckConstraint(
            "(component_sku IS NULL) <> (component_product_id IS NULL)", name="one_component"
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    product_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product_versions.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    component_sku: Mapped[str | None] = mapped_column(String(100))
    component_product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str | None] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)


class ProcessStage(IdMixin, TenantMixin, Base):
    __tablename__ = "process_stages"
    __table_args__ = (UniqueConstraint("product_version_id", "seq"),)

    product_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product_versions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    steps: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # [{"name": "glue temperature", "target": "180", "unit": "C", "tolerance": "5"}]
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
