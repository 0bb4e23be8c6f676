"""Quality: ISO 2859-1 switching state per (tenant, product SKU).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import rls_policy_sql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "quality"


def upgrade() -> None:
    op.create_table(
        "switching_states",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("product_sku", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("recent", JSONB, nullable=False),
        sa.Column("consecutive_accepted", sa.Integer, nullable=False),
        sa.Column("rejected_on_tightened", sa.Integer, nullable=False),
        sa.Column("production_steady", sa.Boolean, nullable=False),
        sa.Column("reduced_approved", sa.Boolean, nullable=False),
        sa.Column("lots", sa.Integer, nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("history", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "product_sku", name="pk_switching_states"),
        schema=S,
    )
    # the provider's own rows: brands never read how the provider samples
    for sql in rls_policy_sql(S, "switching_states"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("switching_states", schema=S)
