"""Golden test runs, traces and the assistant's conversations (services/partner/runs,
traces, assistant).

Every row is owned by the API owner (`tenant_id`); rows of a partner project are made for
the partner's tenant (`customer_tenant_id`) and read under the client rule. Golden cases
belong to the owner's blueprint project (no customer tenant: partners see them through the
runs that used them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.models import IdMixin, TenantMixin, TimestampMixin, VersionMixin
from services.partner.models.base import Base

__all__ = [
    "AssistantMessage",
    "Conversation",
    "GoldenCaseRow",
    "Run",
    "RunCase",
    "RunTarget",
    "Trace",
]


class GoldenCaseRow(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "golden_cases"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # the case as services.partner.runs.cases.GoldenCase validates it
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(255))


class RunTarget(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "run_targets"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"), index=True)
    # mock | sandbox | owner
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    # sandbox: the partner's URL; mock: the mock's id; owner: empty (the owner's API URL)
    base_url: Mapped[str] = mapped_column(String(2000), default="")
    mock_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # the header the credential goes in, and the credential, Fernet-encrypted (never returned)
    credential_header: Mapped[str | None] = mapped_column(String(100))
    credential_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(255))


class Run(IdMixin, TenantMixin, TimestampMixin, VersionMixin, Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_project_id_id", "project_id", "id"),
        Index("ix_runs_customer_tenant_id_created_at", "customer_tenant_id", "created_at"),
    )

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"))
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.run_targets.id"))
    target_kind: Mapped[str] = mapped_column(String(10))
    spec_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.spec_versions.id"))
    previous_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # queued | running | passed | failed | errored
    status: Mapped[str] = mapped_column(String(10), default="queued")
    property_examples: Mapped[int] = mapped_column(Integer, default=5)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errored: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255))


class RunCase(IdMixin, TenantMixin, Base):
    __tablename__ = "run_cases"
    __table_args__ = (Index("ix_run_cases_run_id_position", "run_id", "position", unique=True),)

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.runs.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    operation: Mapped[str | None] = mapped_column(String(300))
    # pass | fail | error
    result: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[float] = mapped_column(Float)
    exchanges: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    log: Mapped[list[Any]] = mapped_column(JSONB, default=list)


class Trace(IdMixin, TenantMixin, Base):
    __tablename__ = "traces"
    __table_args__ = (
        Index("ix_traces_project_id_id", "project_id", "id"),
        Index("ix_traces_search", "search", postgresql_using="gin"),
    )

    customer_tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # run | mock
    source: Mapped[str] = mapped_column(String(10))
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mock_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    operation: Mapped[str | None] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    summary: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    search: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('simple', coalesce(operation, '') || ' ' || method || ' ' || path"
            " || ' ' || coalesce(status::text, '') || ' ' || summary)",
            persisted=True,
        ),
    )


class Conversation(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "conversations"

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(255))


class AssistantMessage(IdMixin, TenantMixin, Base):
    """One question and its answer, with the records cited and the prompt as sent (the
    owner reads every one of them)."""

    __tablename__ = "assistant_messages"
    __table_args__ = (
        Index(
            "ix_assistant_messages_customer_tenant_id_created_at",
            "customer_tenant_id",
            "created_at",
        ),
    )

    customer_tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner.conversations.id"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    # retrieval | model
    provider: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
