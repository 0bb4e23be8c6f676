"""Quality: lots awaiting inspection, idempotency keys, outbox (all under RLS).

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.common.db import customer_read_sql, rls_policy_sql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "quality"


def _ts(name: str, nullable: bool = False, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default else None,
    )


def upgrade() -> None:
    op.create_table(
        "awaiting_inspections",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid, nullable=False),
        sa.Column("lot_number", sa.String(120)),
        sa.Column("order_id", sa.Uuid),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("quantity", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_event_id", sa.Uuid, nullable=False),
        _ts("created_at", default=True),
        sa.PrimaryKeyConstraint("id", name="pk_awaiting_inspections"),
        sa.UniqueConstraint("received_event_id", name="uq_awaiting_inspections_received_event_id"),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "lot_id"):
        op.create_index(f"ix_awaiting_inspections_{col}", "awaiting_inspections", [col], schema=S)

    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("response_headers", postgresql.JSONB),
        sa.Column("response_body", sa.LargeBinary),
        _ts("locked_until"),
        _ts("expires_at"),
        sa.Column("path", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "caller", "key", name="pk_idempotency_keys"),
        schema=S,
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], schema=S)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("subject", sa.String(500), nullable=False),
        _ts("occurred_at"),
        sa.Column("data", postgresql.JSONB, nullable=False),
        _ts("created_at", default=True),
        _ts("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _ts("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        schema=S,
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("sent_at IS NULL"),
    )

    for sql in rls_policy_sql(S, "awaiting_inspections", read_also=customer_read_sql()):
        op.execute(sql)
    for table in ("idempotency_keys", "outbox"):
        for sql in rls_policy_sql(S, table):
            op.execute(sql)


def downgrade() -> None:
    for table in ("outbox", "idempotency_keys", "awaiting_inspections"):
        op.drop_table(table, schema=S)
