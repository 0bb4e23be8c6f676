"""Products, SKUs, offerings and equipment in the field."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TimestampMixin, VersionMixin
from services.catalog.models.base import Base, TenantMixin


class Product(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "manufacturer_org_id",
            "code",
            name="uq_products_code",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_products_tenant", "tenant_id", "id"),
    )

    manufacturer_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("catalog.organisations.id")
    )
    code: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(120))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    lifecycle_status: Mapped[str] = mapped_column(String(20), default="active")


class Sku(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "manufacturer_org_id",
            "sku_code",
            name="uq_skus_code",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_skus_tenant", "tenant_id", "id"),
        Index("ix_skus_product", "product_id"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.products.id"))
    # copied from the product: sku_code is unique per manufacturer
    manufacturer_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    category: Mapped[str | None] = mapped_column(String(120))
    sku_code: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # unit cost, for margin rules (a margin applies only in the cost's currency)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    cost_currency: Mapped[str | None] = mapped_column(String(3))


class Offering(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "offerings"
    __table_args__ = (Index("ix_offerings_sku", "sku_id"),)

    sku_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalog.skus.id"))
    offer_type: Mapped[str] = mapped_column(String(20))
    term: Mapped[str | None] = mapped_column(String(40))
    service_level: Mapped[str | None] = mapped_column(String(80))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Equipment(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "equipment"
    __table_args__ = (
        UniqueConstraint("tenant_id", "serial_number", name="uq_equipment_serial"),
        # the migration's inline UNIQUE, named by PostgreSQL
        UniqueConstraint("qr_code", name="equipment_qr_code_key"),
        Index("ix_equipment_tenant", "tenant_id", "id"),
        Index("ix_equipment_owner", "owner_org_id"),
    )

    serial_number: Mapped[str] = mapped_column(String(120))
    sku_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("catalog.skus.id"))
    manufacturer_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    site: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    region: Mapped[str | None] = mapped_column(String(20))
    # the secret printed as a QR code on the equipment: who holds it may open a ticket
    qr_code: Mapped[str] = mapped_column(String(64))
