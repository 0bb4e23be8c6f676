"""Quality: lots awaiting inspection, idempotency keys, outbox (all under RLS).

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import customer_read_sql, rls_policy_sql
from libs.common.migrations import create_idempotency_table, create_outbox_table

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

    create_idempotency_table(S)
    create_outbox_table(S)

    for sql in rls_policy_sql(S, "awaiting_inspections", read_also=customer_read_sql()):
        op.execute(sql)


def downgrade() -> None:
    for table in ("outbox", "idempotency_keys", "awaiting_inspections"):
        op.drop_table(table, schema=S)
