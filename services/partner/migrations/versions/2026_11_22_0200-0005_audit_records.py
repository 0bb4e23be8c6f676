"""Partner: `audit_records`, one record per write, denied or throttled request
(libs.common.audit), under the tenant RLS policy.

Revision ID: 0005_audit_records
Revises: 0004_assistant
Create Date: 2026-11-22 02:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.migrations import create_audit_table

revision: str = "0005_audit_records"
down_revision: str | None = "0004_assistant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def upgrade() -> None:
    create_audit_table(S)


def downgrade() -> None:
    op.drop_table("audit_records", schema=S)
