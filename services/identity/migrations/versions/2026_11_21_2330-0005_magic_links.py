"""Magic-link sign-in for integration partners: invites say how their people sign in
(`login`: password or magic_link), and `magic_links` holds the one-time links (token as
sha256, bound to the invite and its email). Existing client tenants receive the partner
roles, and INTEGRATION_MANAGER roles the read-only `partners:read` (as system.yaml now says).

Revision ID: 0004_magic_links
Revises: 0003
Create Date: 2026-11-21 23:30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.common.db import CURRENT_TENANT_SQL, SYSTEM_SQL

revision: str = "0005_magic_links"
down_revision: str | None = "0004_catalog_org_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"
CUR = CURRENT_TENANT_SQL
# as invites: the tenant's own rows and its client tenants' (an owner invites its partners)
OWN_OR_CHILD = (
    f"tenant_id = {CUR} OR tenant_id IN (SELECT t.id FROM identity.tenants t "
    f"WHERE t.parent_id = {CUR}) OR {SYSTEM_SQL}"
)
PARTNER_ROLES = {
    "PARTNER_ENGINEER": (
        "Works on the partner's integration projects (specs, mocks, runs, evidence)",
        '["partner:read", "partner:write"]',
    ),
    "PARTNER_LEAD": (
        "Leads the partner's integration projects and requests readiness reviews",
        '["partner:*"]',
    ),
}


def upgrade() -> None:
    op.add_column(
        "invites",
        sa.Column("login", sa.String(16), nullable=False, server_default="password"),
        schema=S,
    )
    op.create_table(
        "magic_links",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("invite_id", sa.Uuid, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_magic_links"),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            [f"{S}.invites.id"],
            name="fk_magic_links_invite_id_invites",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_magic_links_token_hash"),
        schema=S,
    )
    op.create_index("ix_magic_links_tenant_id", "magic_links", ["tenant_id"], schema=S)
    op.create_index("ix_magic_links_invite_id", "magic_links", ["invite_id"], schema=S)
    q = f'"{S}"."magic_links"'
    op.execute(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_tree ON {q} FOR ALL USING ({OWN_OR_CHILD}) "
        f"WITH CHECK ({OWN_OR_CHILD})"
    )

    # data: the roles system.yaml now gives, for tenants made before (seeding keeps
    # existing roles as they are). The system flag admits every tenant's rows.
    op.execute("SELECT set_config('weft.system', 'on', true)")
    for name, (description, perms) in PARTNER_ROLES.items():
        op.execute(
            sa.text(
                f"INSERT INTO {S}.roles (id, tenant_id, name, space, description, permissions,"
                " system, created_at, updated_at, version)"
                " SELECT gen_random_uuid(), t.id, :name, 'DEVELOPER', :description,"
                " CAST(:perms AS jsonb), true, now(), now(), 1"
                f" FROM {S}.tenants t WHERE t.kind = 'client'"
                f" AND NOT EXISTS (SELECT 1 FROM {S}.roles r"
                " WHERE r.tenant_id = t.id AND r.name = :name)"
            ).bindparams(name=name, description=description, perms=perms)
        )
    op.execute(
        f"UPDATE {S}.roles SET permissions = permissions || '[\"partners:read\"]'::jsonb,"
        " version = version + 1"
        " WHERE system AND name = 'INTEGRATION_MANAGER'"
        " AND NOT permissions ? 'partners:read'"
    )


def downgrade() -> None:
    op.drop_table("magic_links", schema=S)
    op.drop_column("invites", "login", schema=S)
