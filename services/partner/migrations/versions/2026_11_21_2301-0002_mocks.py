"""Partner: mock servers of spec versions.

Owned by the owner and made for the partner; the partner writes them itself (it starts
and stops its mocks), admitted under the client rule only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import customer_read_sql, rls_policy_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.func.now(),
    )


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), schema=S)


def upgrade() -> None:
    op.create_table(
        "mocks",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid, nullable=False),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("spec_version_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("stopped_by", sa.String(255)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mocks"),
        sa.ForeignKeyConstraint(
            ["project_id"], [f"{S}.projects.id"], name="fk_mocks_project_id_projects"
        ),
        sa.ForeignKeyConstraint(
            ["spec_version_id"],
            [f"{S}.spec_versions.id"],
            name="fk_mocks_spec_version_id_spec_versions",
        ),
        schema=S,
    )
    for cols in (("tenant_id",), ("customer_tenant_id",), ("project_id",)):
        _index("mocks", *cols)

    customer = customer_read_sql()
    for table in ("mocks",):
        for sql in rls_policy_sql(S, table, read_also=customer):
            op.execute(sql)
        q = f'"{S}"."{table}"'
        op.execute(f"CREATE POLICY customer_insert ON {q} FOR INSERT WITH CHECK ({customer})")
        op.execute(
            f"CREATE POLICY customer_update ON {q} FOR UPDATE USING ({customer})"
            f" WITH CHECK ({customer})"
        )


def downgrade() -> None:
    op.drop_table("mocks", schema=S)
