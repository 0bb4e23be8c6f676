from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.production.lots.gates import LOT_GATES
from services.production.models.base import Base

_GATES_SQL = "(" + ",".join(f"'{g}'" for g in LOT_GATES) + ")"


class Lot(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(f"gate IN {_GATES_SQL}", name="gate_known"),
        Index("ix_lots_tenant_id_id", "tenant_id", text("id DESC")),
        # A brand's first page of lots: an index scan however many lots the provider has.
        Index("ix_lots_customer_tenant_id_id", "customer_tenant_id", text("id DESC")),
    )

    number: Mapped[str] = mapped_column(String(120))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(100))
    plant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plants.id"))
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    product_sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    gate: Mapped[str] = mapped_column(String(20), default="created")
    gate_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    gate_changed_by: Mapped[str | None] = mapped_column(String(255))
    # how many times the lot reached qa_pending: quality's inspection round of the lot
    qa_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LotGateHistory(IdMixin, TenantMixin, Base):
    """Append-only record of every gate move (who, when, from, to)."""

    __tablename__ = "lot_gate_history"

    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    from_gate: Mapped[str | None] = mapped_column(String(20))
    to_gate: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    # the inspection whose verdict made the move, or the reason a QA manager overrode it
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LotInspection(IdMixin, TenantMixin, Base):
    """Every `quality.inspection.completed` received for a lot, once per inspection: its
    verdict and what production did with it (`applied`, or `ignored` with the reason)."""

    __tablename__ = "lot_inspections"

    lot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    round: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
