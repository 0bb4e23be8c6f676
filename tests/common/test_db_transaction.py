"""The kit's request transaction: the tenant settings ride on BEGIN (one round trip) and
hold for every statement of the transaction, under row-level security, and no further."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database, rls_policy_sql, tenant_prelude
from tests.fixtures.database import SchemaFactory

_SETTINGS = text(
    "SELECT current_setting('weft.tenant_id', true) AS tenant,"
    " current_setting('weft.parent_tenant_id', true) AS parent,"
    " current_setting('weft.system', true) AS system"
)


async def _settings(session: AsyncSession) -> tuple[str | None, str | None, str | None]:
    row = (await session.execute(_SETTINGS)).one()
    return row.tenant, row.parent, row.system


async def test_settings_ride_on_begin_and_end_with_the_transaction(
    scratch_schema: SchemaFactory,
) -> None:
    scratch = await scratch_schema()
    db = Database(scratch.url, schema=scratch.schema, pool_size=1, max_overflow=0)
    a, b, parent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE rows (id serial PRIMARY KEY, tenant_id uuid NOT NULL)")
            )
            for sql in rls_policy_sql(scratch.schema, "rows"):
                await conn.execute(text(sql))
        sent: list[str] = []

        def record(*args: Any) -> None:
            sent.append(args[2])  # (conn, cursor, statement, ...)

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        async with db.transaction(a, parent_tenant_id=parent) as s:
            assert await _settings(s) == (str(a), str(parent), "off")
            await s.execute(text("INSERT INTO rows (tenant_id) VALUES (:t)"), {"t": a})
        # BEGIN and the settings went as one message, not as a statement of their own
        assert len(sent) == 2 and not any("set_config" in q for q in sent), sent
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        async with db.transaction(b) as s:
            assert await _settings(s) == (str(b), "", "off")
            await s.execute(text("INSERT INTO rows (tenant_id) VALUES (:t)"), {"t": b})
            # row-level security sees the tenant set with BEGIN: only b's row
            owners = (await s.execute(text("SELECT tenant_id FROM rows"))).scalars().all()
            assert owners == [b]
        with pytest.raises(RuntimeError):
            async with db.transaction(a) as s:
                await s.execute(text("INSERT INTO rows (tenant_id) VALUES (:t)"), {"t": a})
                raise RuntimeError("roll back")
        async with db.transaction(None, system=True) as s:
            assert await _settings(s) == ("", "", "on")
            owners = (await s.execute(text("SELECT tenant_id FROM rows ORDER BY id"))).all()
            assert [r.tenant_id for r in owners] == [a, b]  # the rolled-back row is gone
        # the same pooled connection, outside any kit transaction: nothing left behind
        async with db.engine.connect() as conn:
            row = (await conn.execute(_SETTINGS)).one()
            assert (row.tenant or "", row.parent or "", row.system or "") == ("", "", "")
    finally:
        await db.dispose()


def test_only_uuids_reach_the_statement() -> None:
    tid = uuid.uuid4()
    assert f"'{tid}'" in tenant_prelude(str(tid), None, False)
    with pytest.raises(ValueError):
        tenant_prelude("x', true); DROP TABLE rows; --", None, False)
    with pytest.raises(ValueError):
        tenant_prelude(uuid.uuid4(), "' OR '1'='1", False)
