"""Identity: tenants tree, users, roles, memberships, tokens, keys, invites, API clients, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import CURRENT_TENANT_SQL, SYSTEM_SQL, rls_policy_sql
from libs.common.migrations import create_idempotency_table, create_outbox_table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"
CUR = CURRENT_TENANT_SQL
# A provider administers its client tenants: rows of a child tenant are visible and
# writable too. The subquery is itself filtered by the tenants policy below.
OWN_OR_CHILD = (
    f"tenant_id = {CUR} OR tenant_id IN (SELECT t.id FROM identity.tenants t "
    f"WHERE t.parent_id = {CUR}) OR {SYSTEM_SQL}"
)
TENANTS_POLICY = f"id = {CUR} OR parent_id = {CUR} OR {SYSTEM_SQL}"


def _ts() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def _rls(table: str, condition: str) -> None:
    q = f'"{S}"."{table}"'
    op.execute(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_tree ON {q} FOR ALL USING ({condition}) WITH CHECK ({condition})"
    )


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "parent_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.tenants.id", name="fk_tenants_parent_id_tenants"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("logo_url", sa.String(2048), nullable=True),
        sa.Column("plan", sa.String(50), nullable=True),
        sa.Column("industry", sa.String(50), nullable=True),
        sa.Column("external_customer_id", sa.String(200), nullable=True),
        sa.Column("features", JSONB, nullable=False, server_default="[]"),
        sa.Column("defaults", JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_ts(),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
        sa.UniqueConstraint("external_customer_id", name="uq_tenants_external_customer_id"),
        sa.CheckConstraint("kind IN ('operator', 'provider', 'client')", name="ck_tenants_kind"),
        schema=S,
    )
    op.create_index("ix_tenants_parent_id", "tenants", ["parent_id"], schema=S)

    op.create_table(
        "roles",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.tenants.id", name="fk_roles_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("space", sa.String(16), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("permissions", JSONB, nullable=False, server_default="[]"),
        sa.Column("system", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_ts(),
        sa.UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_id_name"),
        schema=S,
    )
    op.create_index("ix_roles_tenant_id", "roles", ["tenant_id"], schema=S)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.tenants.id", name="fk_users_tenant_id_tenants"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_ts(),
        schema=S,
    )
    op.create_index("ix_users_tenant_id", "users", ["tenant_id"], schema=S)
    op.create_index(
        "uq_users_tenant_id_email",
        "users",
        ["tenant_id", sa.text("lower(email)")],
        unique=True,
        schema=S,
    )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.users.id", ondelete="CASCADE", name="fk_memberships_user_id_users"),
            nullable=False,
        ),
        sa.Column(
            "role_id",
            sa.Uuid,
            sa.ForeignKey(f"{S}.roles.id", ondelete="CASCADE", name="fk_memberships_role_id_roles"),
            nullable=False,
        ),
        sa.Column("role_name", sa.String(64), nullable=False),
        sa.Column("space", sa.String(16), nullable=False),
        sa.Column("plant_id", sa.Uuid, nullable=True),
        *_ts(),
        sa.UniqueConstraint(
            "user_id",
            "role_id",
            "plant_id",
            name="uq_memberships_user_id_role_id_plant_id",
            postgresql_nulls_not_distinct=True,
        ),
        schema=S,
    )
    for col in ("tenant_id", "user_id", "role_id"):
        op.create_index(f"ix_memberships_{col}", "memberships", [col], schema=S)

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid,
            sa.ForeignKey(
                f"{S}.users.id", ondelete="CASCADE", name="fk_refresh_tokens_user_id_users"
            ),
            nullable=False,
        ),
        sa.Column("family_id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("space", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *_ts(),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
        schema=S,
    )
    for col in ("tenant_id", "user_id", "family_id"):
        op.create_index(f"ix_refresh_tokens_{col}", "refresh_tokens", [col], schema=S)

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("private_key_encrypted", sa.Text, nullable=False),
        sa.Column("public_jwk", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema=S,
    )
    # At most one current key.
    op.create_index(
        "uq_signing_keys_current",
        "signing_keys",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'current'"),
        schema=S,
    )

    op.create_table(
        "invites",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("roles", JSONB, nullable=False, server_default="[]"),
        sa.Column("space", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Uuid, nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_ts(),
        sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
        schema=S,
    )
    op.create_index("ix_invites_tenant_id", "invites", ["tenant_id"], schema=S)

    op.create_table(
        "api_clients",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        *_ts(),
        sa.UniqueConstraint("client_id", name="uq_api_clients_client_id"),
        schema=S,
    )
    op.create_index("ix_api_clients_tenant_id", "api_clients", ["tenant_id"], schema=S)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        schema=S,
    )
    op.create_index("ix_audit_events_tenant_id", "audit_events", ["tenant_id"], schema=S)
    op.create_index("ix_audit_events_action", "audit_events", ["action"], schema=S)

    create_outbox_table(S)
    create_idempotency_table(S)

    _rls("tenants", TENANTS_POLICY)
    for table in ("roles", "users", "memberships", "refresh_tokens", "invites", "audit_events"):
        _rls(table, OWN_OR_CHILD)
    for sql in rls_policy_sql(S, "api_clients"):
        op.execute(sql)
    # signing_keys is not tenant-owned: only identity's own role reaches its schema.


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "outbox",
        "audit_events",
        "api_clients",
        "invites",
        "signing_keys",
        "refresh_tokens",
        "memberships",
        "users",
        "roles",
        "tenants",
    ):
        op.drop_table(table, schema=S)
