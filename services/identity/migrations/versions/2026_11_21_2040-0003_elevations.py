"""Break-glass elevations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:40
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import rls_policy_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def upgrade() -> None:
    op.create_table(
        "elevations",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("scopes", JSONB, nullable=False, server_default="[]"),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        sa.Column("space", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(255), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'active', 'ended', 'revoked')",
            name="ck_elevations_status",
        ),
        schema=S,
    )
    op.create_index("ix_elevations_tenant_id", "elevations", ["tenant_id"], schema=S)
    op.create_index("ix_elevations_user_id", "elevations", ["user_id"], schema=S)
    for sql in rls_policy_sql(S, "elevations"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("elevations", schema=S)
