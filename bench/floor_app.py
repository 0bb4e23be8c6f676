"""The floor of the hot-path benchmark: a minimal FastAPI app over raw asyncpg.

    uvicorn --factory bench.floor_app:create_app   (started by bench.gateway_bench)

It does what the services must do for a read and nothing else: a transaction, the tenant
settings row-level security reads (as `set_config(..., true)`), the query, COMMIT, under
the same per-service database role as the service. BEGIN and the settings travel in one
round trip (simple protocol, validated UUID literals), the query is a prepared statement,
the rows are encoded once with orjson. No token check, no middleware: the tenant comes in
`X-Tenant` (and `X-Parent-Tenant` for a brand's reads).

Environment: FLOOR_IDENTITY_DSN, FLOOR_PRODUCTION_DSN (plain `postgresql://` DSNs).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from fastapi import FastAPI, Header, Response

TENANT_SQL = (
    "SELECT id, parent_id, kind, name, slug, logo_url, plan, industry, external_customer_id, "
    "features, defaults, status, version, created_at, updated_at "
    "FROM tenants WHERE id = $1"
)
# The statement production's GET /lots issues for a brand (the client visibility rule as
# the repository writes it, newest first, one row more than the page to know if there is
# a next one).
LOTS_SQL = (
    "SELECT id, number, order_id, order_number, plant_id, customer_tenant_id, product_sku, "
    "quantity, gate, gate_changed_at, gate_changed_by, qa_round, version, created_at, "
    "updated_at FROM lots WHERE customer_tenant_id = $1 AND tenant_id = $2 "
    "ORDER BY id DESC LIMIT $3"
)


def _begin(tenant: uuid.UUID, parent: uuid.UUID | None) -> str:
    # str(UUID) is 36 hex digits and dashes: safe as a literal
    return (
        f"BEGIN; SELECT set_config('weft.tenant_id', '{tenant}', true), "
        f"set_config('weft.parent_tenant_id', '{parent or ''}', true), "
        "set_config('weft.system', 'off', true)"
    )


def _default(value: object) -> object:
    return str(value)  # Decimal and the like; orjson does UUIDs and datetimes itself


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


def create_app() -> FastAPI:
    pools: dict[str, asyncpg.Pool] = {}

    async def _init(conn: asyncpg.Connection) -> None:
        for typ in ("json", "jsonb"):
            await conn.set_type_codec(
                typ,
                encoder=lambda v: orjson.dumps(v).decode(),
                decoder=orjson.loads,
                schema="pg_catalog",
            )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for name in ("identity", "production"):
            pool = await asyncpg.create_pool(
                os.environ[f"FLOOR_{name.upper()}_DSN"],
                min_size=10,
                max_size=20,
                init=_init,
                reset=_no_reset,  # every request ends with COMMIT: nothing to reset
                server_settings={"search_path": name, "application_name": f"floor-{name}"},
            )
            assert pool is not None
            pools[name] = pool
        yield
        for pool in pools.values():
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/tenants/{tenant_id}")
    async def get_tenant(tenant_id: uuid.UUID, x_tenant: uuid.UUID = Header()) -> Response:
        async with pools["identity"].acquire() as conn:
            await conn.execute(_begin(x_tenant, None))
            try:
                row = await conn.fetchrow(TENANT_SQL, tenant_id)
            finally:
                await conn.execute("COMMIT")
        if row is None:
            return Response(status_code=404)
        return Response(orjson.dumps(dict(row), default=_default), media_type="application/json")

    @app.get("/lots")
    async def list_lots(
        x_tenant: uuid.UUID = Header(), x_parent_tenant: uuid.UUID = Header(), limit: int = 50
    ) -> Response:
        async with pools["production"].acquire() as conn:
            await conn.execute(_begin(x_tenant, x_parent_tenant))
            try:
                rows = await conn.fetch(LOTS_SQL, x_tenant, x_parent_tenant, limit + 1)
            finally:
                await conn.execute("COMMIT")
        items = [dict(r) for r in rows[:limit]]
        body = {"items": items, "next_cursor": str(items[-1]["id"]) if len(rows) > limit else None}
        return Response(orjson.dumps(body, default=_default), media_type="application/json")

    return app
