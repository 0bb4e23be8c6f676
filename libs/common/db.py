"""Async engine, one transaction per request, and the tenant set for row-level security.

Every transaction starts by setting `weft.tenant_id`, `weft.parent_tenant_id` (the `ptid`
of a client tenant's token) and `weft.system` (for the few cross-tenant operations such as
login) with `set_config(..., true)`, the function form of `SET LOCAL`, so the Postgres
policies written by `rls_policy_sql` apply to every query even when a repository forgets
its tenant filter.

The settings travel with BEGIN, in one round trip: `BEGIN; SELECT set_config(...), ...`
as one simple-protocol message whose values are literals made from `uuid.UUID` objects
(nothing else can reach the text). A request then costs the database three round trips:
BEGIN with the tenant, its statements (prepared once per connection), COMMIT.

Savepoints (`begin_nested`) go over the simple protocol too (`_simple_savepoints`): one
round trip each. SQLAlchemy names every savepoint anew (`sa_savepoint_<n>`), so as
prepared statements each cost a compile, a prepare round trip and a slot of the
connection's statement cache: an offline replay batch of 500 ops (a savepoint each)
prepared 1,000 statements and pushed the request's own statements out of the cache.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from asyncpg import Connection as AsyncpgConnection
from asyncpg.exceptions import InterfaceError
from asyncpg.transaction import Transaction as AsyncpgTransaction
from asyncpg.transaction import TransactionState
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

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
        # Up to pool_size + max_overflow connections, opened on demand and all kept: a
        # pool that closes its overflow on return opens a connection (TLS attempt, login,
        # type setup) per request once the load passes pool_size.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size + max_overflow,
            max_overflow=0,
            pool_recycle=1800,
            connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
        )
        _simple_savepoints(self.engine)
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


def _literal(value: uuid.UUID | str | None) -> str:
    if not value:
        return ""
    if not isinstance(value, uuid.UUID):
        value = uuid.UUID(str(value))  # ValueError unless it is one: text never gets through
    return str(value)  # 36 characters of hex digits and dashes


def tenant_prelude(
    tenant_id: uuid.UUID | str | None, parent_tenant_id: uuid.UUID | str | None, system: bool
) -> str:
    """The settings as one statement of literals (see `set_tenant`)."""
    return (
        f"SELECT set_config('weft.tenant_id', '{_literal(tenant_id)}', true),"
        f" set_config('weft.parent_tenant_id', '{_literal(parent_tenant_id)}', true),"
        f" set_config('weft.system', '{'on' if system else 'off'}', true)"
    )


class _BeginWithTenant(AsyncpgTransaction):
    """asyncpg's top-level transaction, whose BEGIN carries the tenant settings in the same
    message; commit and rollback are asyncpg's own."""

    __slots__ = ("_prelude",)

    def __init__(self, connection: AsyncpgConnection, prelude: str) -> None:
        super().__init__(connection, None, False, False)
        self._prelude = prelude

    async def start(self) -> None:
        con = self._connection
        if con._top_xact is not None or con.is_in_transaction():
            raise InterfaceError("a transaction is already open on this connection")
        con._top_xact = self
        try:
            await con.execute(f"BEGIN; {self._prelude}")
        except BaseException:
            self._state = TransactionState.FAILED  # type: ignore[misc]
            con._top_xact = None
            raise
        self._state = TransactionState.STARTED  # type: ignore[misc]


async def _begin_with_tenant(session: AsyncSession, prelude: str) -> bool:
    """Open the session's database transaction with the settings in the same round trip.
    False when the connection is already in a transaction (a savepoint of an outer one, as
    in the tests, or settings changed mid-transaction): the caller then runs the statement."""
    connection = await session.connection()
    adapted: Any = (await connection.get_raw_connection()).dbapi_connection
    if (
        getattr(adapted, "_transaction", True) is not None
        or adapted.isolation_level not in (None, "read_committed")
        or adapted.readonly
        or adapted.deferrable
    ):
        return False  # not asyncpg's adapter, a transaction open, or other BEGIN options
    async with adapted._execute_mutex:
        transaction = _BeginWithTenant(adapted._connection, prelude)
        try:
            await transaction.start()
        except Exception as error:
            adapted._handle_exception(error)  # raises SQLAlchemy's wrapped error
        adapted._transaction = transaction
    return True


async def _run_simple(adapted: Any, sql: str) -> None:
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        try:
            await adapted._connection.execute(sql)
        except Exception as error:
            adapted._handle_exception(error)  # raises SQLAlchemy's wrapped error


def _simple_savepoints(engine: AsyncEngine) -> None:
    """SAVEPOINT, RELEASE SAVEPOINT and ROLLBACK TO SAVEPOINT as simple-protocol
    statements on asyncpg (see the module's docstring); other drivers keep SQLAlchemy's."""
    dialect: Any = engine.sync_engine.dialect
    if dialect.driver != "asyncpg":
        return
    quote = dialect.identifier_preparer.quote

    def run(connection: Connection, sql: str) -> None:
        await_(_run_simple(connection.connection.dbapi_connection, sql))

    # instance attributes: this engine's dialect only
    dialect.do_savepoint = lambda c, name: run(c, f"SAVEPOINT {quote(name)}")
    dialect.do_release_savepoint = lambda c, name: run(c, f"RELEASE SAVEPOINT {quote(name)}")
    dialect.do_rollback_to_savepoint = lambda c, name: run(
        c, f"ROLLBACK TO SAVEPOINT {quote(name)}"
    )


async def set_tenant(
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    *,
    parent_tenant_id: uuid.UUID | None = None,
    system: bool = False,
) -> None:
    """Set the transaction's tenant. As the first thing of a transaction it rides on BEGIN
    (one round trip for both); later it is a statement of its own."""
    prelude = tenant_prelude(tenant_id, parent_tenant_id, system)
    if await _begin_with_tenant(session, prelude):
        return
    await session.execute(
        _SET_TENANT,
        {
            "tenant": _literal(tenant_id),
            "parent": _literal(parent_tenant_id),
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
