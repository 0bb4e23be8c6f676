"""Internal subscribers: one endpoint per (service, path), declared by each consumer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "sync"


def upgrade() -> None:
    op.add_column("endpoints", sa.Column("path", sa.String(300)), schema=S)
    # the path of each existing internal subscriber is the path of its URL
    op.execute(
        f"UPDATE {S}.endpoints SET path = regexp_replace(url, '^[a-z]+://[^/]+', '') "
        "WHERE kind = 'internal'"
    )
    op.drop_constraint("uq_endpoints_service", "endpoints", schema=S, type_="unique")
    op.create_unique_constraint(
        "uq_endpoints_service_path", "endpoints", ["service", "path"], schema=S
    )


def downgrade() -> None:
    op.drop_constraint("uq_endpoints_service_path", "endpoints", schema=S, type_="unique")
    op.execute(
        f"DELETE FROM {S}.endpoints e USING {S}.endpoints o "
        "WHERE e.kind = 'internal' AND o.kind = 'internal' AND e.service = o.service "
        "AND e.id > o.id"
    )
    op.create_unique_constraint("uq_endpoints_service", "endpoints", ["service"], schema=S)
    op.drop_column("endpoints", "path", schema=S)
