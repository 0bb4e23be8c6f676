"""The catalog organisation each client tenant acts as (org_id / org_type claims).

Revision ID: 0004_catalog_org_links
Revises: 0003
Create Date: 2026-11-21 23:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import rls_policy_sql

revision: str = "0004_catalog_org_links"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def upgrade() -> None:
    op.create_table(
        "catalog_org_links",
        sa.Column("tenant_id", sa.Uuid, primary_key=True),
        sa.Column("provider_tenant_id", sa.Uuid, nullable=False),
        sa.Column("org_id", sa.Uuid, nullable=False),
        sa.Column("org_type", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema=S,
    )
    for sql in rls_policy_sql(S, "catalog_org_links"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("catalog_org_links", schema=S)
