"""labour clock writes: last-write-wins by the time the worker clocked, losers kept

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import rls_policy_sql

SCHEMA = "production"

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labour_clock_writes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("labour_entry_id", sa.Uuid(), nullable=False),
        sa.Column("stage_execution_id", sa.Uuid(), nullable=False),
        sa.Column("production_order_id", sa.Uuid(), nullable=False),
        sa.Column("operator", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("clocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.CheckConstraint("kind IN ('in','out')", name=op.f("ck_labour_clock_writes_kind_known")),
        sa.CheckConstraint(
            "outcome IN ('applied','superseded')",
            name=op.f("ck_labour_clock_writes_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["labour_entry_id"],
            [f"{SCHEMA}.labour_entries.id"],
            name=op.f("fk_labour_clock_writes_labour_entry_id_labour_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_clock_writes")),
        schema=SCHEMA,
    )
    for column in ("tenant_id", "labour_entry_id", "production_order_id"):
        op.create_index(
            op.f(f"ix_labour_clock_writes_{column}"),
            "labour_clock_writes",
            [column],
            schema=SCHEMA,
        )
    for sql in rls_policy_sql(SCHEMA, "labour_clock_writes"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("labour_clock_writes", schema=SCHEMA)
