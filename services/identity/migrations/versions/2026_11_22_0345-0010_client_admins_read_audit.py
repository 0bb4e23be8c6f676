"""CLIENT_ADMIN reads its tenant's audit records (`audit:read`): the system template gives it
to new client tenants; this gives it to the roles of client tenants made before.

Revision ID: 0010_client_admins_read_audit
Revises: 0009_inspectors_read_users
Create Date: 2026-11-22 03:45
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_client_admins_read_audit"
down_revision: str | None = "0009_inspectors_read_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def upgrade() -> None:
    op.execute("SELECT set_config('weft.system', 'on', true)")  # every tenant's rows
    op.execute(
        f"UPDATE {S}.roles SET permissions = permissions || '[\"audit:read\"]'::jsonb,"
        " version = version + 1"
        " WHERE system AND name = 'CLIENT_ADMIN' AND NOT permissions ? 'audit:read'"
    )


def downgrade() -> None:
    op.execute("SELECT set_config('weft.system', 'on', true)")
    op.execute(
        f"UPDATE {S}.roles SET permissions = permissions - 'audit:read', version = version + 1"
        " WHERE system AND name = 'CLIENT_ADMIN'"
    )
