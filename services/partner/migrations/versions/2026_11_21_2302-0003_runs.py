"""Partner: golden test runs, traces, assistant conversations (reserved for the `pruns`
helper: fill in upgrade/downgrade, and declare the models in services/partner/models/runs.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:02
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
