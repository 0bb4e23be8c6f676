"""Partner: the assistant's conversations and messages (services/partner/assistant).

The partner writes both (a question is a row): `customer_insert` admits that under the
client rule. Every message keeps the prompt as sent, for the owner to read.

Revision ID: 0004_assistant
Revises: 0003
Create Date: 2026-11-21 23:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from libs.common.db import customer_read_sql, rls_policy_sql

revision: str = "0004_assistant"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "partner"


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid, nullable=False),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.ForeignKeyConstraint(
            ["project_id"], [f"{S}.projects.id"], name="fk_conversations_project_id_projects"
        ),
        schema=S,
    )
    for col in ("tenant_id", "customer_tenant_id", "project_id"):
        op.create_index(f"ix_conversations_{col}", "conversations", [col], schema=S)
    op.create_table(
        "assistant_messages",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("customer_tenant_id", sa.Uuid, nullable=False),
        sa.Column("project_id", sa.Uuid, nullable=False),
        sa.Column("conversation_id", sa.Uuid, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("citations", JSONB, nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("asked_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assistant_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            [f"{S}.conversations.id"],
            name="fk_assistant_messages_conversation_id_conversations",
        ),
        schema=S,
    )
    for cols in (
        ("tenant_id",),
        ("customer_tenant_id",),
        ("project_id",),
        ("conversation_id",),
        ("customer_tenant_id", "created_at"),
    ):
        name = f"ix_assistant_messages_{'_'.join(cols)}"
        op.create_index(name, "assistant_messages", list(cols), schema=S)

    customer = customer_read_sql()
    for table in ("conversations", "assistant_messages"):
        for sql in rls_policy_sql(S, table, read_also=customer):
            op.execute(sql)
        op.execute(
            f'CREATE POLICY customer_insert ON "{S}"."{table}" FOR INSERT WITH CHECK ({customer})'
        )


def downgrade() -> None:
    op.drop_table("assistant_messages", schema=S)
    op.drop_table("conversations", schema=S)
