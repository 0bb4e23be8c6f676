"""Catalog benchmarks: `python -m bench.catalog_bench` (a few minutes at most).

Starts its own Weft (temporary state, demo seeded), bulk-loads into Paco's tenant 2,500
dealers, 4 channels, 5,000 SKUs, 10,000 price books (org_channel, channel, org, global
scopes) and 100,000 rules (SKU, category and all selectors, fixed/margin/discount, tiers),
then measures:
1. resolve one SKU: p50/p95 over HTTP (the service, one request each) and in process;
2. resolve 1,000 SKUs in one call: wall time over HTTP.
The CSV import of 100,000 SKUs is not measured yet.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from libs.common.db import Database
from services.catalog.pricing import service
from services.catalog.pricing.schemas import ResolveRequest
from tools.run import bring_up
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack, make_stack

ORGS, CHANNELS, SKUS, BOOKS, RULES_PER_BOOK = 2_500, 4, 5_000, 10_000, 10


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def _load(stack: Stack, tenant: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    conn = await asyncpg.connect(stack.service_dsn("catalog", driver="postgresql"))
    try:
        await conn.execute("SELECT set_config('weft.tenant_id', $1, false)", str(tenant))
        orgs = [
            r[0]
            for r in await conn.fetch(
                "INSERT INTO catalog.organisations (id, tenant_id, name, type) "
                "SELECT gen_random_uuid(), $1, 'Bench dealer ' || g, 'dealer' "
                "FROM generate_series(1, $2) g RETURNING id",
                tenant,
                ORGS,
            )
        ]
        channels = [
            r[0]
            for r in await conn.fetch(
                "INSERT INTO catalog.channels (id, tenant_id, name, type) "
                "SELECT gen_random_uuid(), $1, 'Bench channel ' || g, 'dealer' "
                "FROM generate_series(1, $2) g RETURNING id",
                tenant,
                CHANNELS,
            )
        ]
        product = await conn.fetchval(
            "INSERT INTO catalog.products (id, tenant_id, code, name) "
            "VALUES (gen_random_uuid(), $1, 'BENCH', 'Bench') RETURNING id",
            tenant,
        )
        skus = [
            r[0]
            for r in await conn.fetch(
                "INSERT INTO catalog.skus (id, tenant_id, product_id, sku_code, name, category, "
                "cost, cost_currency) SELECT gen_random_uuid(), $1, $2, 'B-' || g, 'B-' || g, "
                "'cat-' || (g % 50), 10 + g % 90, 'EUR' FROM generate_series(1, $3) g RETURNING id",
                tenant,
                product,
                SKUS,
            )
        ]
        # 10,000 books: one per (org, channel) pair for 2,496 pairs x 4 = org_channel, plus
        # the channel, org and global books; one window each, so no scope overlaps
        rows: list[tuple[Any, ...]] = []
        for i in range(BOOKS):
            if i < 4 * 2_000:
                scope, org, ch = "org_channel", orgs[i % 2_000], channels[i // 2_000]
            elif i < 4 * 2_000 + CHANNELS:
                scope, org, ch = "channel", None, channels[i - 8_000]
            elif i < BOOKS - 1:
                scope, org, ch = "org", orgs[(i - 8_000 - CHANNELS) % ORGS], None
            else:
                scope, org, ch = "global", None, None
            rows.append(
                (
                    uuid.uuid4(),
                    tenant,
                    f"book {i}",
                    scope,
                    org,
                    ch,
                    "EUR",
                    datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
        # COPY is refused under row-level security: one INSERT ... SELECT FROM unnest
        cols = list(zip(*rows, strict=True))
        await conn.execute(
            "INSERT INTO catalog.price_books (id, tenant_id, name, scope_type, org_id, "
            "channel_id, currency, effective_from) SELECT * FROM unnest($1::uuid[], "
            "$2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], "
            "$8::timestamptz[])",
            *[list(c) for c in cols],
        )
        books = [r[0] for r in rows]
        rnd = random.Random(7)
        rules: list[tuple[Any, ...]] = []
        for book in books:
            for _ in range(RULES_PER_BOOK):
                sel = rnd.choice(["sku", "sku", "category", "all"])
                kind = rnd.choice(["fixed", "fixed", "margin", "discount"])
                rules.append(
                    (
                        uuid.uuid4(),
                        tenant,
                        book,
                        sel,
                        rnd.choice(skus) if sel == "sku" else None,
                        f"cat-{rnd.randrange(50)}" if sel == "category" else None,
                        kind,
                        Decimal(rnd.randrange(1, 90_000)) / 100
                        if kind == "fixed"
                        else Decimal(rnd.randrange(1, 3_000)) / 100,
                        rnd.randrange(1, 5),
                    )
                )
        cols = list(zip(*rules, strict=True))
        await conn.execute(
            "INSERT INTO catalog.price_rules (id, tenant_id, price_book_id, selector, sku_id, "
            "category, rule_type, value, priority) SELECT * FROM unnest($1::uuid[], "
            "$2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[], "
            "$8::numeric[], $9::int[])",
            *[list(c) for c in cols],
        )
        await conn.execute("ANALYZE catalog.price_books; ANALYZE catalog.price_rules")
        return {"orgs": orgs, "channels": channels, "skus": skus}
    finally:
        await conn.close()


async def _all(stack: Stack, ctx: SeedContext) -> None:
    tenant = uuid.UUID(ctx.data["tenants"]["paco"])
    t0 = time.perf_counter()
    data = await _load(stack, tenant)
    print(
        f"  loaded {BOOKS:,} books and {BOOKS * RULES_PER_BOOK:,} rules "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    rnd = random.Random(11)
    token = login(ctx, "admin@paco.example", "paco")

    def query(n: int = 1) -> dict[str, Any]:
        return {
            "sku_ids": [str(s) for s in rnd.sample(data["skus"], n)],
            "org_id": str(rnd.choice(data["orgs"][:2_000])),
            "channel_id": str(rnd.choice(data["channels"])),
            "quantity": str(rnd.randrange(1, 20)),
            "currency": "EUR",
        }

    async with httpx.AsyncClient(
        base_url=stack.service_url("catalog"),
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as c:
        for _ in range(20):  # warm up
            (await c.post("/prices/resolve", json=query())).raise_for_status()
        times = []
        for _ in range(300):
            start = time.perf_counter()
            r = await c.post("/prices/resolve", json=query())
            times.append((time.perf_counter() - start) * 1000)
            r.raise_for_status()
        print(
            f"  resolve 1 SKU over HTTP: p50 {statistics.median(times):.1f} ms, "
            f"p95 {_pct(times, 0.95):.1f} ms (target p95 < 10 ms)",
            flush=True,
        )
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            r = await c.post("/prices/resolve", json=query(1_000))
            runs.append(time.perf_counter() - start)
            r.raise_for_status()
            assert len(r.json()["items"]) == 1_000
        print(
            f"  resolve 1,000 SKUs in one call over HTTP: median {statistics.median(runs):.2f} s",
            flush=True,
        )

    db = Database(stack.service_dsn("catalog"), schema="catalog", pool_size=2, max_overflow=0)
    try:
        times = []
        for _ in range(300):
            q = ResolveRequest.model_validate(query())
            start = time.perf_counter()
            async with db.transaction(tenant) as s:
                await service.resolve(s, tenant, q, 1_000)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"  resolve 1 SKU in process: p50 {statistics.median(times):.1f} ms, "
            f"p95 {_pct(times, 0.95):.1f} ms",
            flush=True,
        )
    finally:
        await db.dispose()
    print("  import of 100,000 SKUs from CSV: not measured yet")


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="weft-bench-catalog-"))
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        t0 = time.perf_counter()
        ctx = bring_up(stack, seed=True)
        assert ctx is not None
        print(f"  stack up and seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        asyncio.run(_all(stack, ctx))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
