"""imports: SKU rows are staged by COPY in an unlogged table, then applied set-based

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:00:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.db import CURRENT_TENANT_SQL, SYSTEM_SQL

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE UNLOGGED TABLE catalog.import_staged_skus (
            import_id uuid NOT NULL,
            row_no integer NOT NULL,
            tenant_id uuid NOT NULL,
            product_id uuid NOT NULL,
            sku_id uuid NOT NULL,
            manufacturer_org_id uuid,
            product_code varchar(120) NOT NULL,
            product_name varchar(255) NOT NULL,
            category varchar(120),
            sku_code varchar(120) NOT NULL,
            sku_name varchar(255) NOT NULL,
            status varchar(20) NOT NULL,
            cost numeric(18, 4),
            cost_currency varchar(3),
            CONSTRAINT pk_import_staged_skus PRIMARY KEY (import_id, row_no)
        )
        """
    )
    # enabled, not forced (rls_policy_sql forces): COPY FROM refuses a table whose policies
    # hold for the writer, the owner. Its rows never commit (see models/transfer.py).
    own = f"tenant_id = {CURRENT_TENANT_SQL} OR {SYSTEM_SQL}"
    op.execute("ALTER TABLE catalog.import_staged_skus ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_write ON catalog.import_staged_skus FOR ALL "
        f"USING ({own}) WITH CHECK ({own})"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS catalog.import_staged_skus")
