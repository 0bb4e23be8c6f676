"""The kit's savepoints (`begin_nested`) go over the simple protocol: they prepare nothing,
so a batch of hundreds (offline op replay: one savepoint per op) neither pays a prepare
round trip per savepoint nor pushes the request's own statements out of the cache; and
they still undo exactly what they should."""

from __future__ import annotations

from sqlalchemy import text

from libs.common.db import Database
from tests.fixtures.database import SchemaFactory

_PREPARED = text(
    "SELECT count(*) FILTER (WHERE statement ~* '^(savepoint|release|rollback to)')"
    " AS savepoints, count(*) AS all FROM pg_prepared_statements"
)


async def test_savepoints_prepare_nothing_and_still_undo(scratch_schema: SchemaFactory) -> None:
    scratch = await scratch_schema()
    db = Database(scratch.url, schema=scratch.schema, pool_size=1, max_overflow=0)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE rows (id int PRIMARY KEY)"))
        async with db.transaction(None, system=True) as s:
            for i in range(300):
                point = await s.begin_nested()
                await s.execute(text("INSERT INTO rows (id) VALUES (:i)"), {"i": i})
                if i % 3 == 0:
                    await point.rollback()  # every third op undone, the others kept
                else:
                    await point.commit()
            counts = (await s.execute(_PREPARED)).one()
            # 600 savepoint statements, none prepared; the INSERT stays one statement
            assert counts.savepoints == 0, counts
            assert counts.all < 10, counts
            kept = (await s.execute(text("SELECT count(*) FROM rows"))).scalar_one()
            assert kept == 200
        async with db.transaction(None, system=True) as s:
            # committed with the outer transaction; a savepoint after an error still works
            assert (await s.execute(text("SELECT count(*) FROM rows"))).scalar_one() == 200
            point = await s.begin_nested()
            try:
                await s.execute(text("INSERT INTO rows (id) VALUES (1)"))  # duplicate key
            except Exception:
                await point.rollback()
            assert (await s.execute(text("SELECT count(*) FROM rows"))).scalar_one() == 200
    finally:
        await db.dispose()
