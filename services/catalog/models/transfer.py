"""An uploaded import file (spooled in chunks) and what applying it did."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, utcnow
from services.catalog.models.base import Base, TenantMixin


class Import(IdMixin, TenantMixin, Base):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_tenant", "tenant_id", "id"),)

    kind: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    content_sha256: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportChunk(Base):
    """One piece of an uploaded file, in upload order: the upload is streamed here and the
    job streams it back, so no process ever holds a whole file."""

    __tablename__ = "import_chunks"

    import_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("catalog.imports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StagedSku(Base):
    """A validated row of a SKU import, COPYed here inside the import's one transaction and
    applied from here by two set-based upserts (products, then SKUs), then deleted in that
    same transaction: no row of it is ever committed.

    UNLOGGED (nothing to recover after a crash), and its row-level security is enabled but
    not forced: COPY FROM refuses a table whose policies hold for the writer, and the writer
    is the owner. No other transaction ever sees its rows (they never commit), and the
    statements that read it name the import and the tenant."""

    __tablename__ = "import_staged_skus"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    import_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # ids for the product and the SKU, used when the row creates them (time-ordered)
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sku_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    manufacturer_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    product_code: Mapped[str] = mapped_column(String(120))
    product_name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(120))
    sku_code: Mapped[str] = mapped_column(String(120))
    sku_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
