"""Partner: mock servers (reserved for the `pengine` helper: fill in upgrade/downgrade,
and declare the models in services/partner/models/mocks.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:01
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
