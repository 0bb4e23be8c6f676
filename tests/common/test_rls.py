"""Row-level security from libs.common.db holds on its own, for a non-owner-bypassing role."""

import secrets
import uuid

import asyncpg

from libs.common.db import customer_read_sql, rls_policy_sql
from tools.stack import Stack


async def test_forgotten_filter_returns_nothing_of_another_tenant(stack: Stack) -> None:
    schema, role, pw = "kit_rls", "weft_kit_rls", secrets.token_urlsafe(12)
    admin = await asyncpg.connect(stack.admin_dsn())
    try:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{pw}'")
        await admin.execute(f"GRANT CONNECT ON DATABASE weft TO {role}")
        await admin.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {role}")
    finally:
        await admin.close()

    assert stack.pg is not None
    dsn = stack.admin_dsn().replace(f"postgres:{stack.pg.superuser_password}", f"{role}:{pw}")
    conn = await asyncpg.connect(dsn)
    a, b, brand = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        # the owner of the table: FORCE must hold the policies against it too
        await conn.execute(
            f"CREATE TABLE {schema}.lots (id serial primary key, tenant_id uuid not null,"
            " customer_tenant_id uuid, name text)"
        )
        for sql in rls_policy_sql(schema, "lots", read_also=customer_read_sql()):
            await conn.execute(sql)

        async def in_tenant(
            tenant: uuid.UUID, query: str, *args: object, parent: uuid.UUID | None = None
        ) -> list[asyncpg.Record]:
            async with conn.transaction():
                await conn.execute(
                    "SELECT set_config('weft.tenant_id', $1, true),"
                    " set_config('weft.parent_tenant_id', $2, true)",
                    str(tenant),
                    str(parent) if parent else "",
                )
                return await conn.fetch(query, *args)

        await in_tenant(
            a,
            f"INSERT INTO {schema}.lots (tenant_id, customer_tenant_id, name) VALUES ($1, $2, 'a1')",
            a,
            brand,
        )
        await in_tenant(b, f"INSERT INTO {schema}.lots (tenant_id, name) VALUES ($1, 'b1')", b)

        rows = await in_tenant(a, f"SELECT name FROM {schema}.lots")  # no tenant filter
        assert [r["name"] for r in rows] == ["a1"]
        rows = await in_tenant(b, f"SELECT name FROM {schema}.lots")
        assert [r["name"] for r in rows] == ["b1"]
        # the brand reads what its parent made for it, and nothing else
        rows = await in_tenant(brand, f"SELECT name FROM {schema}.lots", parent=a)
        assert [r["name"] for r in rows] == ["a1"]
        # both halves: a row naming the brand but owned by another than its parent is hidden,
        # and so is everything when the parent is not set
        assert await in_tenant(brand, f"SELECT name FROM {schema}.lots", parent=b) == []
        assert await in_tenant(brand, f"SELECT name FROM {schema}.lots") == []
        # ... but may not write it
        updated = await in_tenant(
            brand, f"UPDATE {schema}.lots SET name = 'x' RETURNING id", parent=a
        )
        assert updated == []
        # no tenant set at all: nothing
        async with conn.transaction():
            assert await conn.fetch(f"SELECT * FROM {schema}.lots") == []
        # writing a row for another tenant is refused
        try:
            await in_tenant(
                a, f"INSERT INTO {schema}.lots (tenant_id, name) VALUES ($1, 'sneaky')", b
            )
        except asyncpg.InsufficientPrivilegeError:
            pass
        else:
            raise AssertionError("insert for another tenant was accepted")
    finally:
        await conn.close()
