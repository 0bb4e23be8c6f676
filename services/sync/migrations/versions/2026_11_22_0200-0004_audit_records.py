"""Sync: `audit_records`, one record per write, denied or throttled request
(libs.common.audit), under the tenant RLS policy.

Revision ID: 0004_audit_records
Revises: 0003
Create Date: 2026-11-22 02:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.migrations import create_audit_table

revision: str = "0004_audit_records"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "sync"


def upgrade() -> None:
    create_audit_table(S)


def downgrade() -> None:
    op.drop_table("audit_records", schema=S)
