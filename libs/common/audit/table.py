"""The audit table: one row per request (docs/architecture.md section 5c).

Each service defines it in its own schema with `audit_table(Base.metadata)` and creates it
in its own Alembic tree with `rls_policy_sql`; the kit writes and reads it through
`RECORDS`, the same table without a schema (the connection's search_path names the
service's schema), as the idempotency store does.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

TABLE = "audit_records"


class Outcome(StrEnum):
    SUCCESS = "success"  # a write that committed
    DENIED = "denied"  # 403: wrong space, missing permission, ...
    THROTTLED = "throttled"  # 429 (the gateway's rate limits, a service's own throttles)
    ERROR = "error"  # any other refusal or failure of a write: nothing of it committed


def outcome_of(status: int) -> Outcome:
    if status == 403:
        return Outcome.DENIED
    if status == 429:
        return Outcome.THROTTLED
    if status >= 400:
        return Outcome.ERROR
    return Outcome.SUCCESS


def audit_table(metadata: MetaData) -> Table:
    return Table(
        TABLE,
        metadata,
        Column("id", Uuid, primary_key=True),  # UUIDv7: keyset order is time order
        Column("tenant_id", Uuid, nullable=False),
        Column("request_id", String(128), nullable=False),
        Column("actor", String(255), nullable=False),  # the token's sub
        Column("act", JSONB, nullable=True),  # RFC 8693 `act`: who really acted
        Column("space", String(20), nullable=True),
        Column("method", String(10), nullable=False),
        Column("route", String(500), nullable=False),  # the route template, public prefix
        Column("path", String(2000), nullable=False),
        Column("status", Integer, nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("code", String(100), nullable=True),  # the problem's code, when refused
        Column("touched", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index(f"ix_{TABLE}_tenant_id_id", "tenant_id", "id"),
        Index(f"ix_{TABLE}_at", "at"),
    )


# The kit's handle on whichever service's table the connection's search_path names.
RECORDS = audit_table(MetaData())
