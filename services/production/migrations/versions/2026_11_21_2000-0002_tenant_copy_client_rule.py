"""tenant copy from identity's events; customer read policies check both halves

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import rls_policy_sql

SCHEMA = "production"
CUSTOMER_READABLE = ("orders", "lots", "lot_gate_history")
# Frozen here (not read from the kit) so this revision means the same thing forever.
_TENANT = "NULLIF(current_setting('weft.tenant_id', true), '')::uuid"
_PARENT = "NULLIF(current_setting('weft.parent_tenant_id', true), '')::uuid"
CLIENT_RULE = f"(customer_tenant_id = {_TENANT} AND tenant_id = {_PARENT})"
OLD_RULE = f"customer_tenant_id = {_TENANT}"

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_tenants_parent_id"), "tenants", ["parent_id"], unique=False, schema=SCHEMA
    )
    # A provider reads and caches its own client tenants; events arrive in system sessions.
    for sql in rls_policy_sql(SCHEMA, "tenants", tenant_column="parent_id"):
        op.execute(sql)
    for table in CUSTOMER_READABLE:
        op.execute(f'DROP POLICY IF EXISTS tenant_read_also ON "{SCHEMA}"."{table}"')
        op.execute(
            f'CREATE POLICY tenant_read_also ON "{SCHEMA}"."{table}" FOR SELECT '
            f"USING ({CLIENT_RULE})"
        )


def downgrade() -> None:
    for table in CUSTOMER_READABLE:
        op.execute(f'DROP POLICY IF EXISTS tenant_read_also ON "{SCHEMA}"."{table}"')
        op.execute(
            f'CREATE POLICY tenant_read_also ON "{SCHEMA}"."{table}" FOR SELECT USING ({OLD_RULE})'
        )
    op.drop_index(op.f("ix_tenants_parent_id"), table_name="tenants", schema=SCHEMA)
    op.drop_table("tenants", schema=SCHEMA)
