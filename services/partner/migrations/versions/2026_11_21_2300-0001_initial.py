"""Partner: partner organisations, projects (the owner's blueprint and partner projects),
spec versions, plan phases and criteria, evidence, readiness reviews, the activity feed,
idempotency keys, outbox (all under RLS).

Rows made for a partner (`customer_tenant_id`) are read under the kit's client rule (both
halves). A partner also writes some of them (a spec variant, evidence, a review request, an
activity entry, the event that tells the owner): `customer_insert` / `customer_update`
admit those writes only under the same rule, so a partner can never write a row that is
not made for it by its own parent.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import customer_read_sql, rls_policy_sql
from libs.common.migrations import create_idempotency_table, create_outbox_table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.func.now(),
    )


def _common(customer_nullable: bool = False) -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid, nullable=customer_nullable),
    ]


def _stamps() -> list[sa.Column]:
    return [
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("version", sa.Integer, nullable=False),
    ]


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{S}.{ref}.id"], name=f"fk_{table}_{col}_{ref}")


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), schema=S)


def customer_write_sql(table: str) -> list[str]:
    rule = customer_read_sql()
    q = f'"{S}"."{table}"'
    return [
        f"CREATE POLICY customer_insert ON {q} FOR INSERT WITH CHECK ({rule})",
        f"CREATE POLICY customer_update ON {q} FOR UPDATE USING ({rule}) WITH CHECK ({rule})",
    ]


def upgrade() -> None:
    op.create_table(
        "partners",
        *_common(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("partners"),
        sa.UniqueConstraint(
            "tenant_id", "customer_tenant_id", name="uq_partners_tenant_id_customer_tenant_id"
        ),
        schema=S,
    )
    _index("partners", "tenant_id")
    _index("partners", "customer_tenant_id")

    op.create_table(
        "projects",
        *_common(customer_nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("partner_id", sa.Uuid),
        sa.Column("blueprint_id", sa.Uuid),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("projects"),
        _fk("projects", "partner_id", "partners"),
        _fk("projects", "blueprint_id", "projects"),
        sa.CheckConstraint(
            "(kind = 'blueprint' AND partner_id IS NULL AND blueprint_id IS NULL"
            " AND customer_tenant_id IS NULL) OR (kind = 'partner' AND partner_id IS NOT NULL"
            " AND blueprint_id IS NOT NULL AND customer_tenant_id IS NOT NULL)",
            name="ck_projects_kind_links",
        ),
        schema=S,
    )
    for cols in (("tenant_id",), ("customer_tenant_id",), ("partner_id",), ("blueprint_id",)):
        _index("projects", *cols)
    _index("projects", "tenant_id", "kind")

    op.create_table(
        "spec_versions",
        *_common(customer_nullable=True),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("based_on_id", sa.Uuid),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("openapi_version", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("api_version", sa.String(100), nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("operation_count", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("uploaded_by", sa.String(255), nullable=False),
        sa.Column("uploaded_side", sa.String(10), nullable=False),
        sa.Column("reviewed_by", sa.String(255)),
        _ts("reviewed_at", nullable=True),
        sa.Column("review_comment", sa.Text),
        *_stamps(),
        _pk("spec_versions"),
        _fk("spec_versions", "project_id", "projects"),
        sa.UniqueConstraint("project_id", "number", name="uq_spec_versions_project_id_number"),
        schema=S,
    )
    _index("spec_versions", "tenant_id")
    _index("spec_versions", "customer_tenant_id")

    op.create_table(
        "phases",
        *_common(),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("due_on", sa.Date),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("phases"),
        _fk("phases", "project_id", "projects"),
        sa.UniqueConstraint("project_id", "position", name="uq_phases_project_id_position"),
        schema=S,
    )
    _index("phases", "tenant_id")
    _index("phases", "customer_tenant_id")

    op.create_table(
        "criteria",
        *_common(),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("phase_id", sa.Uuid, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(10), nullable=False),
        _ts("met_at", nullable=True),
        sa.Column("met_by_evidence_id", sa.Uuid),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("criteria"),
        _fk("criteria", "phase_id", "phases"),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "project_id", "phase_id"):
        _index("criteria", col)

    op.create_table(
        "evidence",
        *_common(),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("criterion_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("object_key", sa.String(500)),
        sa.Column("storage", sa.String(500)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size", sa.BigInteger),
        sa.Column("run_id", sa.Uuid),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("submitted_by", sa.String(255), nullable=False),
        _ts("submitted_at", nullable=True),
        sa.Column("reviewed_by", sa.String(255)),
        _ts("reviewed_at", nullable=True),
        sa.Column("review_comment", sa.Text),
        *_stamps(),
        _pk("evidence"),
        _fk("evidence", "criterion_id", "criteria"),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "project_id", "criterion_id"):
        _index("evidence", col)

    op.create_table(
        "reviews",
        *_common(),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("decided_by", sa.String(255)),
        _ts("decided_at", nullable=True),
        sa.Column("comment", sa.Text),
        *_stamps(),
        _pk("reviews"),
        _fk("reviews", "project_id", "projects"),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "project_id"):
        _index("reviews", col)

    op.create_table(
        "activity",
        *_common(customer_nullable=True),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("actor_side", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        _ts("occurred_at"),
        _pk("activity"),
        schema=S,
    )
    for cols in (("tenant_id",), ("customer_tenant_id",), ("project_id", "id")):
        _index("activity", *cols)

    create_idempotency_table(S)
    create_outbox_table(S)

    customer = customer_read_sql()
    for table in (
        "partners",
        "projects",
        "spec_versions",
        "phases",
        "criteria",
        "evidence",
        "reviews",
        "activity",
    ):
        for sql in rls_policy_sql(S, table, read_also=customer):
            op.execute(sql)
    # what a partner writes itself (see the module doc); the outbox takes its events, owned
    # by the owner and made for the partner, as the client rule says
    for table in ("spec_versions", "evidence", "reviews", "activity", "outbox"):
        for sql in customer_write_sql(table):
            op.execute(sql)


def downgrade() -> None:
    for table in (
        "outbox",
        "idempotency_keys",
        "activity",
        "reviews",
        "evidence",
        "criteria",
        "phases",
        "spec_versions",
        "projects",
        "partners",
    ):
        op.drop_table(table, schema=S)
