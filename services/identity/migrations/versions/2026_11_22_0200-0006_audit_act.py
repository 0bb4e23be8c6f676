"""Audit rows name the real actor of an impersonation (`act`).

Revision ID: 0006_audit_act
Revises: 0005_magic_links
Create Date: 2026-11-22 02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_audit_act"
down_revision: str | None = "0005_magic_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("act", sa.String(255), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("audit_events", "act", schema=S)
