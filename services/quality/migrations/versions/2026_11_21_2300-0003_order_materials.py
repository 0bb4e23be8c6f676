"""Quality: the copy of production's allocations (`production.order.allocated`), which a
passport's materials come from, and the product version of each lot (its checklist).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:00
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

S = "quality"


def upgrade() -> None:
    op.add_column("lots", sa.Column("product_version_id", sa.Uuid), schema=S)
    op.add_column("lots", sa.Column("product_version", sa.Integer), schema=S)
    op.create_table(
        "order_materials",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("order_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("order_number", sa.String(100), nullable=False),
        sa.Column("product_sku", sa.String(100), nullable=False),
        sa.Column("product_version_id", sa.Uuid, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("components", JSONB, nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("order_id", name="pk_order_materials"),
        schema=S,
    )
    op.create_index("ix_order_materials_tenant_id", "order_materials", ["tenant_id"], schema=S)
    # the provider's own rows only: passports are built by the provider, never read by brands
    for sql in rls_policy_sql(S, "order_materials"):
        op.execute(sql)


def downgrade() -> None:
    op.drop_table("order_materials", schema=S)
    op.drop_column("lots", "product_version", schema=S)
    op.drop_column("lots", "product_version_id", schema=S)
