"""Hot reads: Core selects compiled once, run on the pool's own asyncpg connection in a
read-only transaction that has the tenant set, rows handed back as dicts for
the response model to take once.

A GET that reads a row or a page pays, through the ORM session, for the session, its
transaction bookkeeping, the identity map and a second validation of what it returns: about
three quarters of a one-row read's CPU (bench/gateway_bench.py). Here it pays for what the
floor pays for (bench/floor_app.py): BEGIN with the tenant in one round trip, the prepared
statement, COMMIT. Row-level security holds as everywhere (`weft.tenant_id` and
`weft.parent_tenant_id` are set with BEGIN); the repository still writes its tenant filter.

    _GET = compile_query(select(*columns_of(TenantOut, Tenant)).where(Tenant.id == bindparam("id")))

    async with reads.transaction(principal) as tx:      # in the service
        row = await tx.fetchrow(_GET, id=tenant_id)     # in the repository: a dict or None

Writes keep the ORM session (`TenantSession`): this is for GET routes only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from asyncpg import Connection as AsyncpgConnection
from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import Select, Table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import greenlet_spawn

from libs.common.auth import Principal
from libs.common.db import Database, tenant_prelude
from libs.common.etag import etag_for

_DIALECT = asyncpg_dialect()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A select compiled once: its SQL with `$n` parameters and their names in order."""

    sql: str
    params: tuple[str, ...]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        try:
            return [values[name] for name in self.params]
        except KeyError as missing:
            raise TypeError(f"the query needs the parameter {missing}") from None


def compile_query(stmt: Select[Any]) -> Compiled:
    """Compile a Core select (named `bindparam`s; lists as `= any_(bindparam(..., ARRAY))`)
    for asyncpg, once: call it at import time or behind `functools.cache`."""
    compiled = stmt.compile(dialect=_DIALECT)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("expanding IN is not supported: use = any_(bindparam(..., ARRAY))")
    return Compiled(compiled.string, tuple(compiled.positiontup or ()))


def columns_of(model: type[BaseModel], table: Any) -> list[Any]:
    """The table's columns named by the response model, in the model's field order (so the
    row's JSON has the model's key order)."""
    columns = table.__table__.c if not isinstance(table, Table) else table.c
    return [columns[name] for name in model.model_fields]


class ReadTransaction:
    """One read-only transaction on one asyncpg connection; rows come back as dicts."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncpgConnection) -> None:
        self._connection = connection

    async def fetchrow(self, query: Compiled, **values: Any) -> dict[str, Any] | None:
        row = await self._connection.fetchrow(query.sql, *query.args(values))
        return None if row is None else dict(row)

    async def fetch(self, query: Compiled, **values: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._connection.fetch(query.sql, *query.args(values))]


class Reads:
    """The request's way to read: `async with reads.transaction(principal) as tx`. One
    transaction per request, as for writes."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def transaction(self, principal: Principal) -> AsyncIterator[ReadTransaction]:
        async with read_transaction(
            self._db, principal.tenant_id, parent_tenant_id=principal.parent_tenant_id
        ) as tx:
            yield tx


@asynccontextmanager
async def read_transaction(
    db: Database, tenant_id: uuid.UUID, *, parent_tenant_id: uuid.UUID | None = None
) -> AsyncIterator[ReadTransaction]:
    """A read-only transaction with the tenant set, on a connection of `db`'s pool.

    A Database bound to one connection (the tests' rolled-back transaction) reads through
    its own session instead, inside that connection's transaction."""
    if db.sessionmaker.kw.get("bind") is not db.engine:
        async with db.transaction(tenant_id, parent_tenant_id=parent_tenant_id) as session:
            connection = await session.connection()
            yield ReadTransaction(await _driver(connection))
        return
    prelude = tenant_prelude(tenant_id, parent_tenant_id, False)
    # Straight from the pool (the engine's Connection and its events are not needed here):
    # a connection is set up by the pool's own connect events as for the ORM session.
    fairy = await greenlet_spawn(db.engine.sync_engine.pool.connect)
    clean = False  # outside any transaction again, so it may go back to the pool
    try:
        raw = fairy.driver_connection
        assert isinstance(raw, AsyncpgConnection)
        await raw.execute(f"BEGIN READ ONLY; {prelude}")
        try:
            yield ReadTransaction(raw)
        except BaseException:
            await raw.execute("ROLLBACK")
            clean = True
            raise
        await raw.execute("COMMIT")
        clean = True
    finally:
        # a connection left mid-transaction (a failed COMMIT, a cancelled statement) is
        # closed, never handed to the next request
        await greenlet_spawn(fairy.close if clean else fairy.invalidate)


async def _driver(connection: AsyncConnection) -> AsyncpgConnection:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, AsyncpgConnection)
    return driver


async def _reads(request: Request) -> Reads:
    return Reads(request.app.state.db)


# For GET routes: the service opens the request's one read transaction with it.
TenantReads = Annotated[Reads, Depends(_reads)]


_JSON_TYPE = "application/json"


def page_response(items: list[dict[str, Any]], next_cursor: str | None) -> Response:
    """A page of rows (`{items, next_cursor}`) encoded once, straight from the rows.

    For rows selected with `columns_of(Model, ...)` whose values are text, numbers, booleans,
    UUIDs, UTC timestamps or JSON: their JSON is byte for byte what pydantic writes for
    `Page[Model]` (tests/common/test_reads.py holds it to that), without building fifty
    models to write them. Any other type (a Decimal) is refused: use the model then."""
    return Response(_json({"items": items, "next_cursor": next_cursor}), media_type=_JSON_TYPE)


def row_response(row: dict[str, Any], *, version: int | None = None) -> Response:
    """One row (selected with `columns_of(Model, ...)`) encoded once, as `page_response`
    writes each item: byte for byte the model's JSON (same types allowed), with its ETag
    when `version` is given. The route keeps `response_model=Model` for its contract.
    Neither writer runs the model's serializers: never for a model with `Sensitive` fields
    (an impersonator would read them unmasked)."""
    headers = {"ETag": etag_for(version)} if version is not None else None
    return Response(_json(row), media_type=_JSON_TYPE, headers=headers)


def _json(value: Any) -> bytes:
    """Rows as pydantic writes their models: UTC timestamps with `Z`, UUIDs as text."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z, default=_uuid)


def _uuid(value: Any) -> str:
    # asyncpg's UUID is a subclass of uuid.UUID, which orjson writes only when exact
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written straight from rows")
