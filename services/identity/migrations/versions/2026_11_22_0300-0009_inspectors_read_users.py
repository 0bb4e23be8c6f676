"""INSPECTOR and QA_LEAD read users (quality asks identity whether an assignee is an
inspector with the caller's token): the templates give it to new tenants; this gives it to
the roles of tenants made before (seeding keeps existing roles as they are).

Revision ID: 0009_inspectors_read_users
Revises: 0008_federation
Create Date: 2026-11-22 03:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_inspectors_read_users"
down_revision: str | None = "0008_federation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"
ROLES = "('INSPECTOR', 'QA_LEAD')"


def upgrade() -> None:
    # the system flag admits every tenant's rows
    op.execute("SELECT set_config('weft.system', 'on', true)")
    op.execute(
        f"UPDATE {S}.roles SET permissions = permissions || '[\"users:read\"]'::jsonb,"
        " version = version + 1"
        f" WHERE system AND name IN {ROLES} AND NOT permissions ? 'users:read'"
    )


def downgrade() -> None:
    op.execute("SELECT set_config('weft.system', 'on', true)")
    op.execute(
        f"UPDATE {S}.roles SET permissions = permissions - 'users:read', version = version + 1"
        f" WHERE system AND name IN {ROLES}"
    )
