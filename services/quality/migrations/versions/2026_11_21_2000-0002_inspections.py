"""Quality: lots and products copied from production's events, checklists, inspections,
check results, defects, photos, the live feed, reports and passports (all under RLS).

The lots awaiting inspection become a view of the lots copy (a lot awaits while it sits at
qa_pending without a completed inspection of its current round), so
`awaiting_inspections` goes; its rows seed the lots copy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import rls_policy_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "quality"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.func.now(),
    )


def _stamps() -> list[sa.Column]:
    return [_ts("created_at"), _ts("updated_at")]


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(cols or ("id",)), name=f"pk_{table}")


def _fk(table: str, col: str, ref: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [col], [f"{S}.{ref}.id"], name=f"fk_{table}_{col}_{ref}", ondelete=ondelete
    )


def _index(table: str, *cols: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(cols)}", table, list(cols), schema=S)


def upgrade() -> None:
    op.create_table(
        "lots",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("order_id", sa.Uuid),
        sa.Column("order_number", sa.String(100)),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("product_sku", sa.String(100)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("gate", sa.String(20), nullable=False),
        sa.Column("qa_round", sa.Integer, nullable=False, server_default="0"),
        _ts("gate_changed_at"),
        *_stamps(),
        _pk("lots"),
        schema=S,
    )
    _index("lots", "tenant_id")
    _index("lots", "customer_tenant_id")
    op.execute(
        f"CREATE INDEX ix_lots_awaiting ON {S}.lots (tenant_id, id DESC) WHERE gate = 'qa_pending'"
    )

    op.create_table(
        "products",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("gtin", sa.String(14)),
        sa.Column("sampling", JSONB),
        *_stamps(),
        _pk("products"),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_products_tenant_id_sku"),
        schema=S,
    )
    _index("products", "tenant_id")
    _index("products", "gtin")

    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("sampling", JSONB, nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("logo_url", sa.String(1000)),
        sa.Column("issuer_did", sa.String(500)),
        *_stamps(),
        _pk("tenant_settings", "tenant_id"),
        schema=S,
    )

    op.create_table(
        "received_events",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        _ts("received_at"),
        _pk("received_events"),
        schema=S,
    )
    _index("received_events", "tenant_id")

    op.create_table(
        "checklists",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("product_sku", sa.String(100), nullable=False),
        sa.Column("product_version", sa.String(50), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("sampling", JSONB),
        sa.Column("version", sa.Integer, nullable=False),
        *_stamps(),
        _pk("checklists"),
        sa.CheckConstraint("status IN ('active','retired')", name="ck_checklists_status_known"),
        schema=S,
    )
    _index("checklists", "tenant_id")
    _index("checklists", "product_sku")

    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("checklist_id", sa.Uuid, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("mandatory", sa.Boolean, nullable=False),
        sa.Column("check_type", sa.String(20), nullable=False),
        sa.Column("target", sa.Numeric(18, 6)),
        sa.Column("tolerance", sa.Numeric(18, 6)),
        sa.Column("unit", sa.String(20)),
        _pk("checklist_items"),
        _fk("checklist_items", "checklist_id", "checklists", "CASCADE"),
        sa.CheckConstraint(
            "category IN ('Visual','Dimensional','Functional','Packaging')",
            name="ck_checklist_items_category_known",
        ),
        sa.CheckConstraint(
            "check_type IN ('pass_fail','measurement','photo')",
            name="ck_checklist_items_check_type_known",
        ),
        schema=S,
    )
    _index("checklist_items", "tenant_id")
    _index("checklist_items", "checklist_id")

    op.create_table(
        "inspections",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("lot_number", sa.String(120), nullable=False),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("product_sku", sa.String(100)),
        sa.Column("checklist_id", sa.Uuid),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("inspector_id", sa.String(255)),
        sa.Column("plan", JSONB, nullable=False),
        sa.Column("verdict", sa.String(10)),
        sa.Column("counts", JSONB),
        _ts("started_at", nullable=True),
        _ts("completed_at", nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        *_stamps(),
        _pk("inspections"),
        _fk("inspections", "lot_id", "lots"),
        _fk("inspections", "checklist_id", "checklists"),
        sa.UniqueConstraint("lot_id", "round", name="uq_inspections_lot_id_round"),
        sa.CheckConstraint(
            "status IN ('open','assigned','in_progress','completed','cancelled')",
            name="ck_inspections_status_known",
        ),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('passed','failed')",
            name="ck_inspections_verdict_known",
        ),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "lot_id", "plant_id"):
        _index("inspections", col)

    op.create_table(
        "check_results",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("inspection_id", sa.Uuid, nullable=False),
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("unit", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("value", sa.Numeric(18, 6)),
        sa.Column("photo_id", sa.Uuid),
        sa.Column("notes", sa.Text),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("check_results"),
        _fk("check_results", "inspection_id", "inspections", "CASCADE"),
        _fk("check_results", "item_id", "checklist_items"),
        sa.UniqueConstraint(
            "inspection_id", "item_id", "unit", name="uq_check_results_inspection_id_item_id_unit"
        ),
        schema=S,
    )
    _index("check_results", "tenant_id")
    _index("check_results", "inspection_id")

    op.create_table(
        "defects",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("inspection_id", sa.Uuid, nullable=False),
        sa.Column("unit", sa.Integer, nullable=False),
        sa.Column("item_id", sa.Uuid),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        *_stamps(),
        _pk("defects"),
        _fk("defects", "inspection_id", "inspections", "CASCADE"),
        _fk("defects", "item_id", "checklist_items"),
        sa.CheckConstraint(
            "severity IN ('critical','major','minor')", name="ck_defects_severity_known"
        ),
        schema=S,
    )
    _index("defects", "tenant_id")
    _index("defects", "inspection_id")

    op.create_table(
        "photos",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("inspection_id", sa.Uuid, nullable=False),
        sa.Column("defect_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid, nullable=False),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("storage", sa.String(500), nullable=False),
        sa.Column("thumb_key", sa.String(500)),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("max_bytes", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("caption", sa.Text),
        sa.Column("annotations", JSONB, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("uploaded_by", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        *_stamps(),
        _pk("photos"),
        sa.UniqueConstraint("key", name="uq_photos_key"),
        schema=S,
    )
    for col in ("tenant_id", "inspection_id", "defect_id", "lot_id"):
        _index("photos", col)
    op.execute(f"CREATE INDEX ix_photos_uploaded ON {S}.photos (id) WHERE status = 'uploaded'")

    op.create_table(
        "feed_entries",
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        _ts("occurred_at"),
        _pk("feed_entries", "seq"),
        schema=S,
    )
    _index("feed_entries", "tenant_id", "seq")
    _index("feed_entries", "customer_tenant_id", "seq")

    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid, nullable=False),
        sa.Column("plant_id", sa.Uuid),
        sa.Column("inspection_id", sa.Uuid),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("key", sa.String(500)),
        sa.Column("storage", sa.String(500), nullable=False),
        sa.Column("size", sa.Integer),
        sa.Column("pages", sa.Integer),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("requested_space", sa.String(20), nullable=False),
        _ts("completed_at", nullable=True),
        *_stamps(),
        _pk("reports"),
        sa.CheckConstraint(
            "type IN ('inspection_report','photo_book')", name="ck_reports_type_known"
        ),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "lot_id"):
        _index("reports", col)
    op.execute(f"CREATE INDEX ix_reports_queued ON {S}.reports (id) WHERE status = 'queued'")

    op.create_table(
        "passports",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid),
        sa.Column("lot_id", sa.Uuid, nullable=False),
        sa.Column("lot_number", sa.String(120), nullable=False),
        sa.Column("gtin", sa.String(14)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("superseded_by", sa.Uuid),
        sa.Column("credential", JSONB, nullable=False),
        sa.Column("page", JSONB, nullable=False),
        sa.Column("published_by", sa.String(255), nullable=False),
        _ts("published_at"),
        _pk("passports"),
        sa.UniqueConstraint("lot_id", "version", name="uq_passports_lot_id_version"),
        sa.CheckConstraint(
            "status IN ('published','superseded')", name="ck_passports_status_known"
        ),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "lot_id"):
        _index("passports", col)
    op.execute(
        f"CREATE INDEX ix_passports_digital_link ON {S}.passports (gtin, lot_number) "
        "WHERE status = 'published'"
    )

    # the old list: each lot it named seeds the copy (latest row per lot)
    op.execute(
        f"""
        INSERT INTO {S}.lots (id, tenant_id, customer_tenant_id, number, order_id, plant_id,
                              quantity, gate, qa_round, gate_changed_at)
        SELECT DISTINCT ON (lot_id) lot_id, tenant_id, customer_tenant_id,
               coalesce(lot_number, lot_id::text), order_id, plant_id, coalesce(quantity, 1),
               'qa_pending', 1, created_at
        FROM {S}.awaiting_inspections ORDER BY lot_id, created_at DESC
        """
    )
    op.drop_table("awaiting_inspections", schema=S)

    # the client rule, both halves, frozen here (not derived from the kit at replay time)
    customer = (
        "(customer_tenant_id = NULLIF(current_setting('weft.tenant_id', true), '')::uuid "
        "AND tenant_id = NULLIF(current_setting('weft.parent_tenant_id', true), '')::uuid)"
    )
    for table in ("lots", "inspections", "defects", "photos", "feed_entries", "reports"):
        for sql in rls_policy_sql(S, table, read_also=customer):
            op.execute(sql)
    for table in ("products", "tenant_settings", "received_events", "checklists"):
        for sql in rls_policy_sql(S, table):
            op.execute(sql)
    # a brand reads the checks and results of the inspections it may read (RLS applies
    # inside the subquery too)
    for sql in rls_policy_sql(
        S, "check_results", read_also=f"inspection_id IN (SELECT id FROM {S}.inspections)"
    ):
        op.execute(sql)
    for sql in rls_policy_sql(
        S,
        "checklist_items",
        read_also=f"checklist_id IN (SELECT checklist_id FROM {S}.inspections)",
    ):
        op.execute(sql)
    for sql in rls_policy_sql(S, "passports", read_also=customer):
        op.execute(sql)
    # every published version is public (superseded ones say so and link the current one);
    # a reader without a tenant sees these rows and nothing else
    op.execute(
        f'CREATE POLICY public_read ON "{S}"."passports" FOR SELECT '
        "USING (status IN ('published', 'superseded'))"
    )


def downgrade() -> None:
    for table in (
        "passports",
        "reports",
        "feed_entries",
        "photos",
        "defects",
        "check_results",
        "inspections",
        "checklist_items",
        "checklists",
        "received_events",
        "tenant_settings",
        "products",
        "lots",
    ):
        op.drop_table(table, schema=S)
