"""initial: organisations and relationships, products, SKUs, offerings, equipment, channels,
catalog publishing, price books and rules, agreements, service policies, engineers, tickets

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:00:00
"""

from collections.abc import Sequence

from alembic import op

from libs.common.db import CURRENT_TENANT_SQL, rls_policy_sql
from libs.common.migrations import create_idempotency_table, create_outbox_table

SCHEMA = "catalog"
revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NIL = "'00000000-0000-0000-0000-000000000000'::uuid"
PARENT_TENANT_SQL = "NULLIF(current_setting('weft.parent_tenant_id', true), '')::uuid"
# Users of a client tenant linked to one of the provider's organisations may read the
# provider's catalog rows (the repository narrows them to what that organisation sees):
# the row's tenant is the reader's parent AND the reader's tenant is linked to an org of it.
LINKED_CLIENT_READ = (
    f"tenant_id = {PARENT_TENANT_SQL} AND EXISTS (SELECT 1 FROM catalog.client_links l "
    f"WHERE l.tenant_id = {PARENT_TENANT_SQL} AND l.client_tenant_id = {CURRENT_TENANT_SQL})"
)
COMMON = """
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
"""
STAMPS = """
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
"""

TABLES: dict[str, str] = {
    "organisations": f"""{COMMON}
    name varchar(255) NOT NULL,
    type varchar(32) NOT NULL CHECK (type IN ('manufacturer','distributor','dealer','supplier',
        'service_provider','hospital')),
    status varchar(20) NOT NULL DEFAULT 'active',
    contacts jsonb NOT NULL DEFAULT '[]',
    addresses jsonb NOT NULL DEFAULT '[]',
    regions text[] NOT NULL DEFAULT '{{}}',
    certifications text[] NOT NULL DEFAULT '{{}}',
    profile jsonb NOT NULL DEFAULT '{{}}',
    metadata jsonb NOT NULL DEFAULT '{{}}',
    client_tenant_id uuid,
    {STAMPS}""",
    "client_links": """
    org_id uuid PRIMARY KEY REFERENCES catalog.organisations(id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL,
    client_tenant_id uuid NOT NULL,
    CONSTRAINT uq_client_links_client UNIQUE (tenant_id, client_tenant_id)
    """,
    "org_relationships": f"""{COMMON}
    parent_org_id uuid NOT NULL REFERENCES catalog.organisations(id),
    child_org_id uuid NOT NULL REFERENCES catalog.organisations(id),
    relation_type varchar(32) NOT NULL CHECK (relation_type IN ('distributor_of','dealer_of',
        'supplier_of','partner_of')),
    active_from timestamptz NOT NULL,
    active_to timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_org_relationships_not_self CHECK (parent_org_id <> child_org_id),
    CONSTRAINT ck_org_relationships_window CHECK (active_to IS NULL OR active_to > active_from),
    CONSTRAINT ex_org_relationships_overlap EXCLUDE USING gist (
        tenant_id WITH =, parent_org_id WITH =, child_org_id WITH =, relation_type WITH =,
        tstzrange(active_from, active_to, '[)') WITH &&)
    """,
    "products": f"""{COMMON}
    manufacturer_org_id uuid REFERENCES catalog.organisations(id),
    code varchar(120) NOT NULL,
    name varchar(255) NOT NULL,
    category varchar(120),
    attributes jsonb NOT NULL DEFAULT '{{}}',
    lifecycle_status varchar(20) NOT NULL DEFAULT 'active',
    {STAMPS},
    CONSTRAINT uq_products_code UNIQUE NULLS NOT DISTINCT (tenant_id, manufacturer_org_id, code)
    """,
    "skus": f"""{COMMON}
    product_id uuid NOT NULL REFERENCES catalog.products(id),
    manufacturer_org_id uuid,
    category varchar(120),
    sku_code varchar(120) NOT NULL,
    name varchar(255) NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{{}}',
    status varchar(20) NOT NULL DEFAULT 'active',
    cost numeric(18,4),
    cost_currency varchar(3),
    {STAMPS},
    CONSTRAINT uq_skus_code UNIQUE NULLS NOT DISTINCT (tenant_id, manufacturer_org_id, sku_code)
    """,
    "offerings": f"""{COMMON}
    sku_id uuid NOT NULL REFERENCES catalog.skus(id),
    offer_type varchar(20) NOT NULL CHECK (offer_type IN ('sale','subscription','rental')),
    term varchar(40),
    service_level varchar(80),
    conditions jsonb NOT NULL DEFAULT '{{}}',
    {STAMPS}""",
    "equipment": f"""{COMMON}
    serial_number varchar(120) NOT NULL,
    sku_id uuid REFERENCES catalog.skus(id),
    manufacturer_org_id uuid,
    owner_org_id uuid,
    site jsonb NOT NULL DEFAULT '{{}}',
    region varchar(20),
    qr_code varchar(64) NOT NULL UNIQUE,
    {STAMPS},
    CONSTRAINT uq_equipment_serial UNIQUE (tenant_id, serial_number)
    """,
    "channels": f"""{COMMON}
    name varchar(255) NOT NULL,
    type varchar(20) NOT NULL CHECK (type IN ('direct','distributor','dealer','online')),
    {STAMPS},
    CONSTRAINT uq_channels_name UNIQUE (tenant_id, name)
    """,
    "channel_catalogs": f"""{COMMON}
    channel_id uuid NOT NULL REFERENCES catalog.channels(id),
    org_id uuid REFERENCES catalog.organisations(id),
    publisher_org_id uuid REFERENCES catalog.organisations(id),
    current_version integer NOT NULL DEFAULT 0,
    {STAMPS},
    CONSTRAINT uq_channel_catalogs_key UNIQUE NULLS NOT DISTINCT
        (tenant_id, channel_id, org_id, publisher_org_id)
    """,
    "catalog_draft_items": f"""{COMMON}
    catalog_id uuid NOT NULL REFERENCES catalog.channel_catalogs(id),
    sku_id uuid NOT NULL REFERENCES catalog.skus(id),
    offering_id uuid REFERENCES catalog.offerings(id),
    status varchar(20) NOT NULL DEFAULT 'listed',
    constraints jsonb NOT NULL DEFAULT '{{}}',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_catalog_draft_items_item UNIQUE NULLS NOT DISTINCT
        (catalog_id, sku_id, offering_id)
    """,
    "catalog_versions": f"""{COMMON}
    catalog_id uuid NOT NULL REFERENCES catalog.channel_catalogs(id),
    number integer NOT NULL,
    action varchar(20) NOT NULL,
    source_version integer,
    items jsonb NOT NULL,
    note varchar(500),
    published_by varchar(255) NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_catalog_versions_number UNIQUE (catalog_id, number)
    """,
    "price_books": f"""{COMMON}
    name varchar(255) NOT NULL,
    scope_type varchar(20) NOT NULL CHECK (scope_type IN ('global','org','channel','org_channel')),
    org_id uuid REFERENCES catalog.organisations(id),
    channel_id uuid REFERENCES catalog.channels(id),
    currency varchar(3) NOT NULL,
    rounding_mode varchar(20) NOT NULL DEFAULT 'half_up',
    effective_from timestamptz NOT NULL,
    effective_to timestamptz,
    {STAMPS},
    CONSTRAINT ck_price_books_scope CHECK (
        (scope_type = 'global' AND org_id IS NULL AND channel_id IS NULL) OR
        (scope_type = 'org' AND org_id IS NOT NULL AND channel_id IS NULL) OR
        (scope_type = 'channel' AND org_id IS NULL AND channel_id IS NOT NULL) OR
        (scope_type = 'org_channel' AND org_id IS NOT NULL AND channel_id IS NOT NULL)),
    CONSTRAINT ck_price_books_window CHECK (effective_to IS NULL OR effective_to > effective_from),
    CONSTRAINT ex_price_books_window_overlap EXCLUDE USING gist (
        tenant_id WITH =, scope_type WITH =, (COALESCE(org_id, {NIL})) WITH =,
        (COALESCE(channel_id, {NIL})) WITH =, currency WITH =,
        tstzrange(effective_from, effective_to, '[)') WITH &&)
    """,
    "price_rules": f"""{COMMON}
    price_book_id uuid NOT NULL REFERENCES catalog.price_books(id) ON DELETE CASCADE,
    selector varchar(20) NOT NULL CHECK (selector IN ('sku','category','all')),
    sku_id uuid,
    category varchar(120),
    rule_type varchar(20) NOT NULL CHECK (rule_type IN ('fixed','margin','discount')),
    value numeric(18,4) NOT NULL,
    tiers jsonb NOT NULL DEFAULT '[]',
    priority integer NOT NULL DEFAULT 100,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_price_rules_selector CHECK (
        (selector = 'sku' AND sku_id IS NOT NULL) OR
        (selector = 'category' AND category IS NOT NULL) OR selector = 'all')
    """,
    "agreements": f"""{COMMON}
    name varchar(255) NOT NULL,
    party_a_org_id uuid,
    party_b_org_id uuid,
    kind varchar(20) NOT NULL,
    scope jsonb NOT NULL DEFAULT '{{}}',
    terms jsonb NOT NULL DEFAULT '{{}}',
    status varchar(20) NOT NULL DEFAULT 'active',
    effective_from timestamptz NOT NULL,
    effective_to timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
    """,
    "service_policies": f"""{COMMON}
    name varchar(255) NOT NULL,
    scope varchar(20) NOT NULL CHECK (scope IN ('global','org','manufacturer')),
    org_id uuid REFERENCES catalog.organisations(id),
    enabled boolean NOT NULL DEFAULT true,
    rules jsonb NOT NULL DEFAULT '{{}}',
    {STAMPS},
    CONSTRAINT uq_service_policies_scope UNIQUE NULLS NOT DISTINCT (tenant_id, scope, org_id)
    """,
    "engineers": f"""{COMMON}
    name varchar(255) NOT NULL,
    org_id uuid REFERENCES catalog.organisations(id),
    skills text[] NOT NULL DEFAULT '{{}}',
    certifications text[] NOT NULL DEFAULT '{{}}',
    regions text[] NOT NULL DEFAULT '{{}}',
    available boolean NOT NULL DEFAULT true,
    {STAMPS}""",
    "tickets": f"""{COMMON}
    equipment_id uuid REFERENCES catalog.equipment(id),
    source varchar(20) NOT NULL,
    severity varchar(20) NOT NULL,
    subject varchar(255) NOT NULL,
    description text,
    reporter jsonb NOT NULL DEFAULT '{{}}',
    created_by varchar(255),
    status varchar(20) NOT NULL DEFAULT 'open',
    responsible_org_id uuid,
    assigned_engineer_id uuid,
    coverage_policy_id uuid,
    provenance jsonb NOT NULL DEFAULT '{{}}',
    escalation_path jsonb NOT NULL DEFAULT '[]',
    level integer NOT NULL DEFAULT 0,
    response_due_at timestamptz,
    resolve_due_at timestamptz,
    acknowledged_at timestamptz,
    breached boolean NOT NULL DEFAULT false,
    {STAMPS}""",
    "ticket_escalations": f"""{COMMON}
    ticket_id uuid NOT NULL REFERENCES catalog.tickets(id),
    level integer NOT NULL,
    from_org_id uuid,
    to_org_id uuid,
    reason varchar(255) NOT NULL,
    escalated_at timestamptz NOT NULL DEFAULT now()
    """,
}
CLIENT_READABLE = (
    "organisations",
    "org_relationships",
    "products",
    "skus",
    "offerings",
    "channels",
    "channel_catalogs",
    "catalog_versions",
    "price_books",
    "price_rules",
)
INDEXES = (
    "CREATE INDEX ix_organisations_tenant_type ON catalog.organisations (tenant_id, type, id)",
    "CREATE INDEX ix_org_relationships_parent ON catalog.org_relationships (parent_org_id)",
    "CREATE INDEX ix_org_relationships_child ON catalog.org_relationships (child_org_id)",
    "CREATE INDEX ix_org_relationships_type_parent ON catalog.org_relationships "
    "(relation_type, parent_org_id)",
    "CREATE INDEX ix_products_tenant ON catalog.products (tenant_id, id)",
    "CREATE INDEX ix_skus_tenant ON catalog.skus (tenant_id, id)",
    "CREATE INDEX ix_skus_product ON catalog.skus (product_id)",
    "CREATE INDEX ix_offerings_sku ON catalog.offerings (sku_id)",
    "CREATE INDEX ix_equipment_tenant ON catalog.equipment (tenant_id, id)",
    "CREATE INDEX ix_equipment_owner ON catalog.equipment (owner_org_id)",
    "CREATE INDEX ix_channel_catalogs_audience ON catalog.channel_catalogs "
    "(tenant_id, org_id NULLS FIRST, channel_id)",
    "CREATE INDEX ix_catalog_draft_items_catalog ON catalog.catalog_draft_items (catalog_id, id)",
    "CREATE INDEX ix_catalog_draft_items_sku ON catalog.catalog_draft_items (sku_id)",
    "CREATE INDEX ix_price_books_scope ON catalog.price_books "
    "(tenant_id, currency, scope_type, org_id, channel_id)",
    "CREATE INDEX ix_price_rules_book ON catalog.price_rules (price_book_id)",
    "CREATE INDEX ix_price_rules_sku ON catalog.price_rules (sku_id) WHERE sku_id IS NOT NULL",
    "CREATE INDEX ix_price_rules_category ON catalog.price_rules (tenant_id, category) "
    "WHERE category IS NOT NULL",
    "CREATE INDEX ix_price_rules_all ON catalog.price_rules (tenant_id, price_book_id) "
    "WHERE selector = 'all'",
    "CREATE INDEX ix_agreements_tenant ON catalog.agreements (tenant_id, id)",
    "CREATE INDEX ix_engineers_tenant ON catalog.engineers (tenant_id, id)",
    "CREATE INDEX ix_tickets_tenant ON catalog.tickets (tenant_id, id)",
    "CREATE INDEX ix_tickets_responsible ON catalog.tickets (responsible_org_id)",
    "CREATE INDEX ix_tickets_due ON catalog.tickets (response_due_at) "
    "WHERE status = 'open' AND NOT breached",
    "CREATE INDEX ix_ticket_escalations_ticket ON catalog.ticket_escalations (ticket_id, level)",
)


def upgrade() -> None:
    # Equality on uuid/text inside the exclusion constraints; the stack's bootstrap creates it
    # as an administrator (IF NOT EXISTS then needs no privilege here).
    op.execute(f'CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA "{SCHEMA}"')
    create_idempotency_table(SCHEMA)
    create_outbox_table(SCHEMA)
    for table, body in TABLES.items():
        op.execute(f'CREATE TABLE "{SCHEMA}".{table} ({body})')
    for sql in INDEXES:
        op.execute(sql)
    op.execute(
        "CREATE UNIQUE INDEX uq_organisations_client ON catalog.organisations "
        "(tenant_id, client_tenant_id) WHERE client_tenant_id IS NOT NULL"
    )
    for table in TABLES:
        read_also = None
        if table == "client_links":
            read_also = f"client_tenant_id = {CURRENT_TENANT_SQL}"
        elif table in CLIENT_READABLE:
            read_also = LINKED_CLIENT_READ
        for sql in rls_policy_sql(SCHEMA, table, read_also=read_also):
            op.execute(sql)
    # The public QR path learns the equipment (and so the tenant) from the scanned code alone.
    op.execute(
        "CREATE POLICY qr_scan ON catalog.equipment FOR SELECT USING "
        "(qr_code = NULLIF(current_setting('weft.qr_code', true), ''))"
    )
    # client_links mirrors organisations.client_tenant_id, so the read policies above never
    # query organisations from inside organisations' own policy.
    op.execute(
        """
        CREATE FUNCTION catalog.sync_client_link() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM catalog.client_links WHERE org_id = NEW.id;
            IF NEW.client_tenant_id IS NOT NULL THEN
                INSERT INTO catalog.client_links (org_id, tenant_id, client_tenant_id)
                VALUES (NEW.id, NEW.tenant_id, NEW.client_tenant_id);
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER organisations_client_link AFTER INSERT OR UPDATE OF client_tenant_id "
        "ON catalog.organisations FOR EACH ROW EXECUTE FUNCTION catalog.sync_client_link()"
    )
    op.execute(
        """
        CREATE FUNCTION catalog.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = '55000';
        END $$
        """
    )
    for table in ("catalog_versions", "ticket_escalations"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON catalog.{table} "
            "FOR EACH ROW EXECUTE FUNCTION catalog.refuse_change()"
        )


def downgrade() -> None:
    for table in reversed(list(TABLES)):
        op.execute(f'DROP TABLE IF EXISTS "{SCHEMA}".{table} CASCADE')
    op.execute("DROP FUNCTION IF EXISTS catalog.sync_client_link() CASCADE")
    op.execute("DROP FUNCTION IF EXISTS catalog.refuse_change() CASCADE")
    op.execute(f'DROP TABLE IF EXISTS "{SCHEMA}".outbox')
    op.execute(f'DROP TABLE IF EXISTS "{SCHEMA}".idempotency_keys')
