"""imports: uploaded CSV/JSON files, applied by the catalog.import job

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:30:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.db import rls_policy_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE catalog.imports (
            id uuid PRIMARY KEY,
            tenant_id uuid NOT NULL,
            kind varchar(30) NOT NULL CHECK (kind IN ('organisations','relationships','skus')),
            format varchar(10) NOT NULL CHECK (format IN ('csv','json')),
            status varchar(20) NOT NULL DEFAULT 'queued',
            content text NOT NULL,
            content_sha256 varchar(64) NOT NULL,
            job_id uuid,
            total_rows integer,
            created integer NOT NULL DEFAULT 0,
            updated integer NOT NULL DEFAULT 0,
            unchanged integer NOT NULL DEFAULT 0,
            errors jsonb NOT NULL DEFAULT '[]',
            created_by varchar(255) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz
        )
        """
    )
    op.execute("CREATE INDEX ix_imports_tenant ON catalog.imports (tenant_id, id)")
    for sql in rls_policy_sql("catalog", "imports"):
        op.execute(sql)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS catalog.imports")
