"""Federation with peer Weft instances: this instance's key, peers, tenant links, and the
nonces of signed requests received (replay refusal).

Revision ID: 0008_federation
Revises: 0007_audit_records
Create Date: 2026-11-22 02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import rls_policy_sql

revision: str = "0008_federation"
down_revision: str | None = "0007_audit_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "identity"


def _timestamps() -> list[sa.Column[sa.DateTime]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    # instance-wide, like signing_keys: no tenant, no RLS (identity's role only)
    op.create_table(
        "federation_keys",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("private_key_encrypted", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("key_id", name="pk_federation_keys"),
        schema=S,
    )
    op.create_table(
        "federation_nonces",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name="pk_federation_nonces"),
        schema=S,
    )
    op.create_index(
        "ix_federation_nonces_expires_at", "federation_nonces", ["expires_at"], schema=S
    )
    op.create_table(
        "federation_peers",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(2048), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("roles", JSONB, nullable=False),
        sa.Column("link_tenants", sa.Boolean, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_federation_peers"),
        sa.UniqueConstraint("key_id", name="uq_federation_peers_key_id"),
        schema=S,
    )
    op.create_index("ix_federation_peers_tenant_id", "federation_peers", ["tenant_id"], schema=S)
    op.create_table(
        "federation_links",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("peer_id", sa.Uuid, nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("tenant_ref", sa.Uuid, nullable=False),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("remote_link_id", sa.Uuid),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("linked_at", sa.DateTime(timezone=True)),
        sa.Column("details", JSONB, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_federation_links"),
        schema=S,
    )
    op.create_index("ix_federation_links_tenant_id", "federation_links", ["tenant_id"], schema=S)
    op.create_index(
        "ix_federation_links_peer_id_direction_tenant_ref",
        "federation_links",
        ["peer_id", "direction", "tenant_ref"],
        unique=True,
        schema=S,
    )
    for table in ("federation_peers", "federation_links"):
        for sql in rls_policy_sql(S, table):
            op.execute(sql)


def downgrade() -> None:
    for table in ("federation_links", "federation_peers", "federation_nonces", "federation_keys"):
        op.drop_table(table, schema=S)
