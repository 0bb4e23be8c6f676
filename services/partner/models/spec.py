"""Spec versions: OpenAPI 3.0/3.1 documents of a project, numbered per project.

The parsed document is a JSONB column (size-limited on upload, see Settings.spec_max_bytes),
deferred with raiseload: lists never carry it, and a read that forgot to ask for it fails
loudly instead of loading megabytes per row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.partner.models.base import Base


class SpecVersion(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "spec_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"))
    number: Mapped[int] = mapped_column(Integer)
    # upload (someone sent it) | blueprint (the owner's accepted spec, copied into a
    # partner project so the partner reads it under the client rule)
    source: Mapped[str] = mapped_column(String(20), default="upload")
    based_on_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # json | yaml: how it was sent (the document is kept parsed)
    format: Mapped[str] = mapped_column(String(10))
    openapi_version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    api_version: Mapped[str] = mapped_column(String(100))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB, deferred=True, deferred_raiseload=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    operation_count: Mapped[int] = mapped_column(Integer, default=0)
    # pending_review | accepted | rejected
    status: Mapped[str] = mapped_column(String(20), default="pending_review")
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    # owner | partner: which side uploaded it
    uploaded_side: Mapped[str] = mapped_column(String(10))
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)
