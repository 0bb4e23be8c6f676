"""lots follow quality's verdicts: inspection rounds, received verdicts, audited overrides

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import rls_policy_sql

SCHEMA = "production"

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lots",
        sa.Column("qa_round", sa.Integer(), server_default="0", nullable=False),
        schema=SCHEMA,
    )
    # lots already past QA count as one round
    op.execute(
        f'UPDATE "{SCHEMA}".lots SET qa_round = 1 '
        "WHERE gate IN ('qa_pending', 'approved', 'rejected', 'packed', 'shipped')"
    )
    op.add_column(
        "lot_gate_history", sa.Column("inspection_id", sa.Uuid(), nullable=True), schema=SCHEMA
    )
    op.add_column(
        "lot_gate_history", sa.Column("override_reason", sa.Text(), nullable=True), schema=SCHEMA
    )
    op.create_table(
        "lot_inspections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_inspections")),
        sa.UniqueConstraint("inspection_id", name=op.f("uq_lot_inspections_inspection_id")),
        schema=SCHEMA,
    )
    for column in ("tenant_id", "lot_id"):
        op.create_index(
            op.f(f"ix_lot_inspections_{column}"), "lot_inspections", [column], schema=SCHEMA
        )
    for sql in rls_policy_sql(SCHEMA, "lot_inspections"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("lot_inspections", schema=SCHEMA)
    op.drop_column("lot_gate_history", "override_reason", schema=SCHEMA)
    op.drop_column("lot_gate_history", "inspection_id", schema=SCHEMA)
    op.drop_column("lots", "qa_round", schema=SCHEMA)
