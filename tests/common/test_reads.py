"""The kit's hot reads (libs.common.reads): a read-only transaction with the tenant set under
row-level security, statements compiled once, keyset pages with `paginate`'s cursors, and
rows written as JSON byte for byte as pydantic writes the response model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    MetaData,
    String,
    Uuid,
    any_,
    bindparam,
    select,
    text,
)
from sqlalchemy import Column as C
from sqlalchemy import Table as T
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from libs.common.db import Database, rls_policy_sql
from libs.common.pagination import Page, PageParams, decode_cursor, encode_cursor, read_page
from libs.common.reads import (
    Compiled,
    columns_of,
    compile_query,
    page_response,
    read_transaction,
    row_response,
)
from tests.fixtures.database import SchemaFactory


class Row(BaseModel):
    id: uuid.UUID
    name: str
    note: str | None
    size: int
    tags: list[str]
    meta: dict[str, Any]
    created_at: datetime


def _table(schema: str) -> T:
    return T(
        "rows",
        MetaData(schema=schema),
        C("id", Uuid, primary_key=True),
        C("tenant_id", Uuid, nullable=False),
        C("created_at", DateTime(timezone=True), nullable=False),
        C("name", String, nullable=False),
        C("note", String),
        C("size", Integer, nullable=False),
        C("tags", JSONB, nullable=False),
        C("meta", JSON, nullable=False),
    )


async def _database(scratch_schema: SchemaFactory) -> tuple[Database, T]:
    scratch = await scratch_schema()
    db = Database(scratch.url, schema=scratch.schema, pool_size=1, max_overflow=0)
    table = _table(scratch.schema)
    async with db.engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        for sql in rls_policy_sql(scratch.schema, "rows"):
            await conn.execute(text(sql))
    return db, table


async def _insert(db: Database, table: T, tenant: uuid.UUID, n: int) -> list[uuid.UUID]:
    ids = sorted(uuid.uuid4() for _ in range(n))
    async with db.transaction(tenant) as s:
        await s.execute(
            table.insert(),
            [
                {
                    "id": i,
                    "tenant_id": tenant,
                    "created_at": datetime(2026, 1, 2, 3, 4, 5, k * 1000, tzinfo=UTC),
                    "name": f"row {k}",
                    "note": None if k % 2 else 'é \u2028 "quoted"',
                    "size": k,
                    "tags": ["a", str(k)],
                    "meta": {"k": k, "nested": {"x": [1, 2.5, None]}},
                }
                for k, i in enumerate(ids)
            ],
        )
    return ids


async def test_a_read_sees_its_tenant_only_and_writes_nothing(
    scratch_schema: SchemaFactory,
) -> None:
    db, table = await _database(scratch_schema)
    a, b = uuid.uuid4(), uuid.uuid4()
    try:
        mine = await _insert(db, table, a, 3)
        await _insert(db, table, b, 2)
        every = compile_query(select(*columns_of(Row, table)).order_by(table.c.id))
        async with read_transaction(db, a) as tx:
            rows = await tx.fetch(every)  # no tenant filter: row-level security alone
            assert [r["id"] for r in rows] == mine
            assert list(rows[0]) == list(Row.model_fields)  # the model's field order
            assert rows[1]["tags"] == ["a", "1"] and rows[1]["meta"]["nested"]["x"][1] == 2.5
            one = compile_query(select(table.c.name).where(table.c.id == bindparam("id")))
            assert await tx.fetchrow(one, id=mine[0]) == {"name": "row 0"}
            assert await tx.fetchrow(one, id=uuid.uuid4()) is None
        # read-only: a write in it fails, and is rolled back with the connection handed back
        with pytest.raises(Exception, match="read-only"):
            async with read_transaction(db, a) as tx:
                await tx.fetch(compile_query(select(table.c.id).with_for_update()))
        async with read_transaction(db, b) as tx:  # the same pooled connection, clean again
            assert len(await tx.fetch(every)) == 2
        # an error raised by the caller rolls back too; nothing is left open on the connection
        with pytest.raises(RuntimeError):
            async with read_transaction(db, a) as tx:
                await tx.fetch(every)
                raise RuntimeError("the service refuses")
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT current_setting('weft.tenant_id', true) AS tenant"))
            ).one()
            assert not row.tenant
    finally:
        await db.dispose()


def test_a_statement_compiles_once_with_named_parameters() -> None:
    table = _table("s")
    stmt = select(table.c.id).where(
        table.c.tenant_id == bindparam("tenant"),
        table.c.name == any_(bindparam("names", type_=ARRAY(String))),
        table.c.id < bindparam("after"),
    )
    compiled = compile_query(stmt)
    assert compiled.params == ("tenant", "names", "after")
    assert "$1" in compiled.sql and "$3" in compiled.sql
    assert compiled.args({"after": 3, "tenant": 1, "names": ["x"], "other": 9}) == [1, ["x"], 3]
    with pytest.raises(TypeError, match="names"):
        compiled.args({"tenant": 1, "after": 3})
    with pytest.raises(ValueError, match="any_"):
        compile_query(select(table.c.id).where(table.c.name.in_(bindparam("n", expanding=True))))


async def test_pages_follow_the_cursor_as_paginate_does(scratch_schema: SchemaFactory) -> None:
    db, table = await _database(scratch_schema)
    tenant = uuid.uuid4()
    try:
        ids = await _insert(db, table, tenant, 5)

        def query(after: bool) -> Compiled:
            stmt = select(*columns_of(Row, table)).where(table.c.tenant_id == bindparam("tenant"))
            if after:
                stmt = stmt.where(table.c.id < bindparam("after"))
            return compile_query(stmt.order_by(table.c.id.desc()).limit(bindparam("limit")))

        seen: list[uuid.UUID] = []
        cursor: str | None = None
        async with read_transaction(db, tenant) as tx:
            for expected in (2, 2, 1):
                rows, cursor = await read_page(
                    tx, query, PageParams(limit=2, cursor=cursor), {"tenant": tenant}
                )
                assert len(rows) == expected
                seen += [r["id"] for r in rows]
                if expected == 2:
                    assert cursor == encode_cursor([rows[-1]["id"]])  # paginate's cursor
                    assert decode_cursor(cursor, [uuid.UUID]) == [rows[-1]["id"]]
            assert cursor is None
        assert seen == sorted(ids, reverse=True)
    finally:
        await db.dispose()


async def test_rows_are_written_as_pydantic_writes_the_page(scratch_schema: SchemaFactory) -> None:
    db, table = await _database(scratch_schema)
    tenant = uuid.uuid4()
    try:
        await _insert(db, table, tenant, 4)
        async with read_transaction(db, tenant) as tx:
            rows = await tx.fetch(compile_query(select(*columns_of(Row, table))))
        expected = Page[Row](items=[Row.model_validate(r) for r in rows], next_cursor="c1")
        assert page_response(rows, "c1").body == expected.model_dump_json().encode()
        assert page_response([], None).body == b'{"items":[],"next_cursor":null}'
    finally:
        await db.dispose()


async def test_one_row_is_written_as_pydantic_writes_the_model(
    scratch_schema: SchemaFactory,
) -> None:
    db, table = await _database(scratch_schema)
    tenant = uuid.uuid4()
    try:
        await _insert(db, table, tenant, 2)
        async with read_transaction(db, tenant) as tx:
            rows = await tx.fetch(compile_query(select(*columns_of(Row, table))))
        for row in rows:  # one with a note (quotes, U+2028), one without
            response = row_response(row, version=row["size"])
            assert response.body == Row.model_validate(row).model_dump_json().encode()
            assert response.headers["etag"] == f'"{row["size"]}"'
        assert "etag" not in row_response(rows[0]).headers
    finally:
        await db.dispose()
