"""Events in ingest order (transaction id + sequence) for forward paging; the provider of a
client tenant's endpoint (customer-scope matching checks both halves of the rule).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "sync"


def upgrade() -> None:
    op.execute(f"CREATE SEQUENCE {S}.events_seq AS bigint")
    op.add_column("events", sa.Column("seq", sa.BigInteger), schema=S)
    op.add_column(
        "events",
        sa.Column("ingest_xid", sa.BigInteger, nullable=False, server_default="0"),
        schema=S,
    )
    # rows stored before: ingest order is the order they were received in
    op.execute(
        f"""
        WITH o AS (SELECT id, row_number() OVER (ORDER BY received_at, id) AS n
                   FROM {S}.events)
        UPDATE {S}.events e SET seq = o.n FROM o WHERE e.id = o.id
        """
    )
    op.execute(
        f"SELECT setval('{S}.events_seq', COALESCE((SELECT max(seq) FROM {S}.events), 0) + 1, false)"
    )
    op.execute(f"ALTER TABLE {S}.events ALTER COLUMN seq SET DEFAULT nextval('{S}.events_seq')")
    op.execute(f"ALTER TABLE {S}.events ALTER COLUMN seq SET NOT NULL")
    op.execute(f"ALTER SEQUENCE {S}.events_seq OWNED BY {S}.events.seq")
    op.execute(
        f"ALTER TABLE {S}.events ALTER COLUMN ingest_xid "
        "SET DEFAULT (pg_current_xact_id()::text)::bigint"
    )
    op.create_index(
        "ix_events_tenant_id_ingest_xid_seq", "events", ["tenant_id", "ingest_xid", "seq"], schema=S
    )
    op.create_index(
        "ix_events_customer_tenant_id_ingest_xid_seq",
        "events",
        ["customer_tenant_id", "ingest_xid", "seq"],
        schema=S,
    )

    op.add_column("endpoints", sa.Column("parent_tenant_id", sa.Uuid), schema=S)
    # customer-scope endpoints made before: their provider, from identity's tenant events
    op.execute(
        f"""
        UPDATE {S}.endpoints e SET parent_tenant_id = t.parent
        FROM (SELECT DISTINCT ON ((data->>'id')) (data->>'id')::uuid AS id,
                     (data->>'parent_id')::uuid AS parent
              FROM {S}.events
              WHERE type IN ('identity.tenant.created', 'identity.tenant.updated')
                AND data->>'parent_id' IS NOT NULL
              ORDER BY (data->>'id'), seq DESC) t
        WHERE e.scope = 'customer' AND e.tenant_id = t.id
        """
    )


def downgrade() -> None:
    op.drop_column("endpoints", "parent_tenant_id", schema=S)
    op.drop_index("ix_events_customer_tenant_id_ingest_xid_seq", "events", schema=S)
    op.drop_index("ix_events_tenant_id_ingest_xid_seq", "events", schema=S)
    op.drop_column("events", "ingest_xid", schema=S)
    op.drop_column("events", "seq", schema=S)
