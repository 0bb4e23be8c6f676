"""Catalog benchmarks: `python -m bench.catalog_bench` (a few minutes at most).

Starts its own Weft (temporary state, demo seeded), bulk-loads into Paco's tenant 2,500
dealers, 4 channels, 5,000 SKUs, 10,000 price books (org_channel, channel, org, global
scopes) and 100,000 rules (SKU, category and all selectors, fixed/margin/discount, tiers),
then measures:
1. resolve one SKU: p50/p95 over HTTP (the service, one request each) and in process,
   beside the floor: the same three queries (SKU, candidate books, their rules) straight
   through asyncpg in a tenant transaction;
2. resolve 1,000 SKUs in one call: wall time over HTTP, beside the same floor for 1,000;
3. import 100,000 SKUs from a CSV file (streamed upload, the catalog.import job): time to
   done and the catalog process's peak memory (VmHWM) before and after, beside the floor:
   the same products and SKUs inserted straight through asyncpg (INSERT ... SELECT FROM
   unnest, one statement each).
"""

from __future__ import annotations

import asyncio
import os
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
        http_p95 = _pct(times, 0.95)
        print(
            f"  resolve 1 SKU over HTTP: p50 {statistics.median(times):.1f} ms, "
            f"p95 {http_p95:.1f} ms (target p95 < 10 ms)",
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
    floor1 = await _floor(stack, tenant, data, query, 300, 1)
    print(
        f"  floor (the same queries through asyncpg), 1 SKU: p50 {statistics.median(floor1):.1f}"
        f" ms, p95 {_pct(floor1, 0.95):.1f} ms; ratio in process / floor p95: "
        f"{_pct(times, 0.95) / _pct(floor1, 0.95):.1f}x; HTTP / floor p95: "
        f"{http_p95 / _pct(floor1, 0.95):.1f}x",
        flush=True,
    )
    floor1000 = await _floor(stack, tenant, data, query, 5, 1_000)
    print(
        f"  floor, 1,000 SKUs: median {statistics.median(floor1000):.1f} ms; ratio HTTP / floor: "
        f"{statistics.median(runs) * 1000 / statistics.median(floor1000):.1f}x",
        flush=True,
    )
    await _import(stack, tenant, token)


SKU_SQL = (
    "SELECT id, sku_code, category, cost, cost_currency FROM catalog.skus "
    "WHERE tenant_id = $1 AND id = ANY($2::uuid[])"
)
BOOKS_SQL = (
    "SELECT id, name, scope_type, org_id, channel_id, currency, rounding_mode, effective_from, "
    "effective_to, version FROM catalog.price_books WHERE tenant_id = $1 AND currency = $2 "
    "AND effective_from <= $3 AND (effective_to IS NULL OR effective_to > $3) AND "
    "(scope_type = 'global' OR (scope_type = 'org' AND org_id = $4) OR (scope_type = 'channel' "
    "AND channel_id = $5) OR (scope_type = 'org_channel' AND org_id = $4 AND channel_id = $5))"
)
RULES_SQL = (
    "SELECT id, price_book_id, selector, sku_id, category, rule_type, value, tiers, priority "
    "FROM catalog.price_rules WHERE tenant_id = $1 AND price_book_id = ANY($2::uuid[]) AND "
    "(selector = 'all' OR sku_id = ANY($3::uuid[]) OR category = ANY($4::text[]))"
)


async def _floor(
    stack: Stack, tenant: uuid.UUID, data: Any, query: Any, n: int, skus: int
) -> list[float]:
    """The resolve's queries, straight through asyncpg, one tenant transaction each (ms)."""
    conn = await asyncpg.connect(stack.service_dsn("catalog", driver="postgresql"))
    out = []
    try:
        for _ in range(n + 10):
            q = query(skus)
            ids = [uuid.UUID(x) for x in q["sku_ids"]]
            start = time.perf_counter()
            async with conn.transaction():
                await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(tenant))
                found = await conn.fetch(SKU_SQL, tenant, ids)
                books = await conn.fetch(
                    BOOKS_SQL,
                    tenant,
                    "EUR",
                    datetime.now(UTC),
                    uuid.UUID(q["org_id"]),
                    uuid.UUID(q["channel_id"]),
                )
                await conn.fetch(
                    RULES_SQL,
                    tenant,
                    [b["id"] for b in books],
                    ids,
                    list({r["category"] for r in found if r["category"]}),
                )
            out.append((time.perf_counter() - start) * 1000)
        return out[10:]
    finally:
        await conn.close()


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


IMPORT_ROWS = 100_000


async def _import(stack: Stack, tenant: uuid.UUID, token: str) -> None:
    path = Path(tempfile.mkdtemp(prefix="weft-bench-import-")) / "skus.csv"
    with path.open("w") as f:
        f.write(
            "manufacturer,product_code,product_name,category,sku_code,sku_name,status,"
            "cost,cost_currency\n"
        )
        for i in range(IMPORT_ROWS):
            f.write(
                f",IP-{i // 10},Imported product {i // 10},cat-{i % 50},IS-{i},"
                f"Imported SKU {i},active,{10 + i % 90}.25,EUR\n"
            )
    size = path.stat().st_size
    pid = stack.procs["catalog"].pid
    before = _peak_kib(pid)

    async def body() -> Any:
        with path.open("rb") as f:
            while chunk := f.read(256 * 1024):
                yield chunk

    async with httpx.AsyncClient(
        base_url=stack.service_url("catalog"),
        timeout=600,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    ) as c:
        start = time.perf_counter()
        r = await c.post("/imports", params={"kind": "skus", "format": "csv"}, content=body())
        r.raise_for_status()
        uploaded = time.perf_counter() - start
        imp = r.json()
        while imp["status"] not in ("succeeded", "failed"):
            await asyncio.sleep(0.5)
            imp = (await c.get(f"/imports/{imp['id']}")).json()
        took = time.perf_counter() - start
    after = _peak_kib(pid)
    assert imp["status"] == "succeeded" and imp["created"] == IMPORT_ROWS, imp
    # the floor: the same rows straight through asyncpg, one statement per table
    conn = await asyncpg.connect(stack.service_dsn("catalog", driver="postgresql"))
    try:
        start = time.perf_counter()
        async with conn.transaction():
            await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(tenant))
            products = [uuid.uuid4() for _ in range(IMPORT_ROWS // 10)]
            await conn.execute(
                "INSERT INTO catalog.products (id, tenant_id, code, name, category) "
                "SELECT p, $1, 'FP-' || g, 'Floor product ' || g, 'cat-' || (g % 50) "
                "FROM unnest($2::uuid[]) WITH ORDINALITY AS t(p, g)",
                tenant,
                products,
            )
            await conn.execute(
                "INSERT INTO catalog.skus (id, tenant_id, product_id, sku_code, name, status, "
                "category, cost, cost_currency) SELECT gen_random_uuid(), $1, "
                "($2::uuid[])[g / 10 + 1], 'FS-' || g, 'Floor SKU ' || g, 'active', "
                "'cat-' || (g % 50), 10 + g % 90, 'EUR' FROM generate_series(0, $3 - 1) g",
                tenant,
                products,
                IMPORT_ROWS,
            )
        floor = time.perf_counter() - start
    finally:
        await conn.close()
    os.remove(path)
    print(
        f"  import {IMPORT_ROWS:,} SKUs from CSV ({size / 1e6:.1f} MB, streamed): upload "
        f"{uploaded:.1f} s, done in {took:.1f} s; catalog process peak RSS {before / 1024:.0f} "
        f"MB before, {after / 1024:.0f} MB after (+{(after - before) / 1024:.0f} MB)",
        flush=True,
    )
    print(
        f"  floor (the same rows inserted through asyncpg, 2 statements): {floor:.1f} s; "
        f"ratio import / floor: {took / floor:.1f}x",
        flush=True,
    )


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
