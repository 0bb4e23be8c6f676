"""Login throttling counters and one-time password reset links.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import SYSTEM_SQL, rls_policy_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        schema=S,
    )
    # Not tenant-owned (a key may name an address): only system transactions (the login) see it.
    q = f'"{S}"."login_throttles"'
    op.execute(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY system_only ON {q} FOR ALL USING ({SYSTEM_SQL}) WITH CHECK ({SYSTEM_SQL})"
    )

    op.create_table(
        "password_resets",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid,
            sa.ForeignKey(
                f"{S}.users.id", ondelete="CASCADE", name="fk_password_resets_user_id_users"
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("token_hash", name="uq_password_resets_token_hash"),
        schema=S,
    )
    op.create_index("ix_password_resets_tenant_id", "password_resets", ["tenant_id"], schema=S)
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"], schema=S)
    for sql in rls_policy_sql(S, "password_resets"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("password_resets", schema=S)
    op.drop_table("login_throttles", schema=S)
