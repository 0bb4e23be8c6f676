"""Async engine, one transaction per request, and the tenant set for row-level security.

Every transaction starts by setting `weft.tenant_id`, `weft.parent_tenant_id` (the `ptid`
of a client tenant's token) and `weft.system` (for the few cross-tenant operations such as
login) with `set_config(..., true)`, the function form of `SET LOCAL`, so the Postgres
policies written by `rls_policy_sql` apply to every query even when a repository forgets
its tenant filter.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from libs.common.errors import AppError

_SET_TENANT = text(
    "SELECT set_config('weft.tenant_id', :tenant, true),"
    " set_config('weft.parent_tenant_id', :parent, true),"
    " set_config('weft.system', :system, true)"
)


class Database:
    def __init__(
        self, url: str, *, schema: str, pool_size: int = 10, max_overflow: int = 10
    ) -> None:
        self.schema = schema
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,
            connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(
        self,
        tenant_id: uuid.UUID | None = None,
        *,
        parent_tenant_id: uuid.UUID | None = None,
        system: bool = False,
    ) -> AsyncIterator[AsyncSession]:
        """One transaction, tenant set first; commits on success, rolls back on any error.
        `parent_tenant_id` is the reader's parent (a client tenant's provider): the customer
        read policies admit a row only when it is owned by that parent."""
        async with self.sessionmaker() as session, session.begin():
            await set_tenant(session, tenant_id, parent_tenant_id=parent_tenant_id, system=system)
            yield session


@dataclass(slots=True)
class RequestTransaction:
    """A transaction opened around the whole request by middleware (Idempotency-Key), which
    commits it together with its own writes. The request's TenantSession joins it."""

    STATE_KEY: ClassVar[str] = "weft_request_transaction"

    session: AsyncSession
    tenant_id: uuid.UUID
    # False: the owner already opened a savepoint for this request (offline op replay)
    savepoint: bool = True


async def set_tenant(
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    *,
    parent_tenant_id: uuid.UUID | None = None,
    system: bool = False,
) -> None:
    await session.execute(
        _SET_TENANT,
        {
            "tenant": str(tenant_id) if tenant_id else "",
            "parent": str(parent_tenant_id) if parent_tenant_id else "",
            "system": "on" if system else "off",
        },
    )


CURRENT_TENANT_SQL = "NULLIF(current_setting('weft.tenant_id', true), '')::uuid"
CURRENT_PARENT_SQL = "NULLIF(current_setting('weft.parent_tenant_id', true), '')::uuid"
SYSTEM_SQL = "current_setting('weft.system', true) = 'on'"


def rls_policy_sql(
    schema: str,
    table: str,
    *,
    tenant_column: str = "tenant_id",
    read_also: str | None = None,
) -> list[str]:
    """SQL that turns on row-level security for a tenant-owned table.

    Rows are visible and writable when their tenant is the transaction's tenant, or in a
    system transaction. `read_also` adds a read-only condition, for example
    `customer_tenant_id = <current tenant>` so a client tenant reads what is made for it.
    FORCE makes the policies hold for the table owner too (each service owns its schema).
    """
    own = f"{tenant_column} = {CURRENT_TENANT_SQL} OR {SYSTEM_SQL}"
    qualified = f'"{schema}"."{table}"'
    stmts = [
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_write ON {qualified} FOR ALL USING ({own}) WITH CHECK ({own})",
    ]
    if read_also:
        stmts.append(
            f"CREATE POLICY tenant_read_also ON {qualified} FOR SELECT USING ({read_also})"
        )
    return stmts


def customer_read_sql(column: str = "customer_tenant_id", owner_column: str = "tenant_id") -> str:
    """The client visibility rule (ARCHITECTURE.md section 2), both halves: the row is made
    for the reader's tenant AND owned by the reader's parent. A NULL parent (no client
    token) matches nothing."""
    return f"({column} = {CURRENT_TENANT_SQL} AND {owner_column} = {CURRENT_PARENT_SQL})"


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint a database refusal names (asyncpg), if any."""
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


async def flush_or_conflict(session: AsyncSession, conflicts: Mapping[str, AppError]) -> None:
    """Flush; a unique constraint named in `conflicts` becomes that error (a 409 with a
    stable code naming the field) instead of the generic constraint message."""
    try:
        await session.flush()
    except IntegrityError as exc:
        err = conflicts.get(constraint_name(exc) or "")
        if err is None:
            raise
        raise err from None
