"""Sync: events, endpoints, deliveries, attempts, idempotency keys (all under RLS).

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db import customer_read_sql, rls_policy_sql
from libs.common.migrations import create_idempotency_table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "sync"


def _ts(name: str, nullable: bool = False, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default else None,
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("subject", sa.String(500), nullable=False),
        _ts("occurred_at"),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        _ts("received_at", default=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        schema=S,
    )
    op.create_index("ix_events_tenant_id_id", "events", ["tenant_id", "id"], schema=S)
    op.create_index(
        "ix_events_customer_tenant_id_id", "events", ["customer_tenant_id", "id"], schema=S
    )
    op.create_index("ix_events_received_at", "events", ["received_at"], schema=S)

    op.create_table(
        "endpoints",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("space", sa.String(16)),
        sa.Column("service", sa.String(64)),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("event_types", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(64)),
        sa.Column("secret", sa.String(200)),
        sa.Column("previous_secret", sa.String(200)),
        _ts("previous_secret_expires_at", nullable=True),
        _ts("failing_since", nullable=True),
        _ts("created_at", default=True),
        _ts("updated_at", default=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_endpoints"),
        sa.UniqueConstraint("service", name="uq_endpoints_service"),
        schema=S,
    )
    op.create_index("ix_endpoints_tenant_id", "endpoints", ["tenant_id"], schema=S)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("endpoint_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("next_attempt_at"),
        _ts("last_attempt_at", nullable=True),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        _ts("created_at", default=True),
        _ts("updated_at", default=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{S}.events.id"],
            name="fk_deliveries_event_id_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            [f"{S}.endpoints.id"],
            name="fk_deliveries_endpoint_id_endpoints",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_deliveries_event_id_endpoint_id"),
        schema=S,
    )
    op.create_index("ix_deliveries_tenant_id", "deliveries", ["tenant_id"], schema=S)
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_deliveries_endpoint_id_status", "deliveries", ["endpoint_id", "status"], schema=S
    )

    op.create_table(
        "attempts",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid),
        sa.Column("delivery_id", sa.Uuid, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("endpoint_id", sa.Uuid, nullable=False),
        _ts("attempted_at"),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("response_body", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            [f"{S}.deliveries.id"],
            name="fk_attempts_delivery_id_deliveries",
            ondelete="CASCADE",
        ),
        schema=S,
    )
    op.create_index("ix_attempts_delivery_id", "attempts", ["delivery_id"], schema=S)
    op.create_index("ix_attempts_endpoint_id_id", "attempts", ["endpoint_id", "id"], schema=S)
    op.create_index("ix_attempts_event_id_id", "attempts", ["event_id", "id"], schema=S)

    create_idempotency_table(S)

    for sql in rls_policy_sql(S, "events", read_also=customer_read_sql()):
        op.execute(sql)
    for table in ("endpoints", "deliveries", "attempts"):
        for sql in rls_policy_sql(S, table):
            op.execute(sql)


def downgrade() -> None:
    for table in ("idempotency_keys", "attempts", "deliveries", "endpoints", "events"):
        op.drop_table(table, schema=S)
