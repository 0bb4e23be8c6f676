"""Partner: golden cases, run targets, runs and their cases, traces (services/partner/runs,
services/partner/traces).

A partner starts runs, saves its targets and (through mocks) writes traces on rows owned by
its owner: `customer_insert` / `customer_update` admit those writes only under the client
rule, as 0001 does for the partner's own steps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

from libs.common.db import customer_read_sql, rls_policy_sql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"
TABLES = ("golden_cases", "run_targets", "runs", "run_cases", "traces")


def _id_tenant(customer: bool | None) -> list[sa.Column]:
    cols = [
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
    ]
    if customer is not None:
        cols.append(sa.Column("customer_tenant_id", sa.Uuid, nullable=not customer))
    return cols


def _stamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
    ]


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{S}.{ref}.id"], name=f"fk_{table}_{col}_{ref}")


def _index(table: str, *cols: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), schema=S, unique=unique)


def upgrade() -> None:
    op.create_table(
        "golden_cases",
        *_id_tenant(None),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_golden_cases"),
        _fk("golden_cases", "project_id", "projects"),
        schema=S,
    )
    _index("golden_cases", "tenant_id")
    _index("golden_cases", "project_id")

    op.create_table(
        "run_targets",
        *_id_tenant(True),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(2000), nullable=False),
        sa.Column("mock_id", sa.Uuid, nullable=True),
        sa.Column("credential_header", sa.String(100), nullable=True),
        sa.Column("credential_encrypted", sa.LargeBinary, nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_run_targets"),
        _fk("run_targets", "project_id", "projects"),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "project_id"):
        _index("run_targets", col)

    op.create_table(
        "runs",
        *_id_tenant(True),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("target_id", sa.Uuid, nullable=False),
        sa.Column("target_kind", sa.String(10), nullable=False),
        sa.Column("spec_version_id", sa.Uuid, nullable=False),
        sa.Column("previous_run_id", sa.Uuid, nullable=True),
        sa.Column("job_id", sa.Uuid, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("property_examples", sa.Integer, nullable=False),
        *(
            sa.Column(c, sa.Integer, nullable=False)
            for c in ("total", "done", "passed", "failed", "errored")
        ),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        _fk("runs", "project_id", "projects"),
        _fk("runs", "target_id", "run_targets"),
        _fk("runs", "spec_version_id", "spec_versions"),
        schema=S,
    )
    _index("runs", "tenant_id")
    _index("runs", "customer_tenant_id")
    _index("runs", "project_id", "id")
    _index("runs", "customer_tenant_id", "created_at")

    op.create_table(
        "run_cases",
        *_id_tenant(True),
        sa.Column("run_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("operation", sa.String(300), nullable=True),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("exchanges", JSONB, nullable=False),
        sa.Column("log", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_cases"),
        _fk("run_cases", "run_id", "runs"),
        schema=S,
    )
    _index("run_cases", "tenant_id")
    _index("run_cases", "customer_tenant_id")
    _index("run_cases", "run_id", "position", unique=True)

    op.create_table(
        "traces",
        *_id_tenant(False),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("run_id", sa.Uuid, nullable=True),
        sa.Column("mock_id", sa.Uuid, nullable=True),
        sa.Column("operation", sa.String(300), nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("request", JSONB, nullable=False),
        sa.Column("response", JSONB, nullable=True),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed(
                "to_tsvector('simple', coalesce(operation, '') || ' ' || method || ' ' || path"
                " || ' ' || coalesce(status::text, '') || ' ' || summary)",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_traces"),
        schema=S,
    )
    _index("traces", "tenant_id")
    _index("traces", "customer_tenant_id")
    _index("traces", "project_id", "id")
    op.create_index("ix_traces_search", "traces", ["search"], schema=S, postgresql_using="gin")

    customer = customer_read_sql()
    for table in TABLES:
        read_also = None if table == "golden_cases" else customer
        for sql in rls_policy_sql(S, table, read_also=read_also):
            op.execute(sql)
    for table in ("run_targets", "runs", "traces"):
        q = f'"{S}"."{table}"'
        op.execute(f"CREATE POLICY customer_insert ON {q} FOR INSERT WITH CHECK ({customer})")
        op.execute(
            f"CREATE POLICY customer_update ON {q} FOR UPDATE USING ({customer}) WITH CHECK ({customer})"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table, schema=S)
