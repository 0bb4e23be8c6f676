"""imports: the file is spooled in chunks (streamed, never held whole); price book and
agreement imports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:00:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.db import rls_policy_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'organisations','relationships','skus','price_books','agreements'"


def upgrade() -> None:
    op.execute("ALTER TABLE catalog.imports DROP CONSTRAINT IF EXISTS imports_kind_check")
    op.execute(
        f"ALTER TABLE catalog.imports ADD CONSTRAINT imports_kind_check CHECK (kind IN ({KINDS}))"
    )
    op.execute("ALTER TABLE catalog.imports DROP COLUMN content")
    op.execute("ALTER TABLE catalog.imports ADD COLUMN size_bytes bigint NOT NULL DEFAULT 0")
    op.execute(
        """
        CREATE TABLE catalog.import_chunks (
            import_id uuid NOT NULL REFERENCES catalog.imports(id) ON DELETE CASCADE,
            seq integer NOT NULL,
            tenant_id uuid NOT NULL,
            data bytea NOT NULL,
            CONSTRAINT pk_import_chunks PRIMARY KEY (import_id, seq)
        )
        """
    )
    for sql in rls_policy_sql("catalog", "import_chunks"):
        op.execute(sql)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS catalog.import_chunks")
    op.execute("ALTER TABLE catalog.imports DROP COLUMN size_bytes")
    op.execute("ALTER TABLE catalog.imports ADD COLUMN content text NOT NULL DEFAULT ''")
