"""Production benchmarks: `python -m bench.production_bench` (a few minutes at most).

Starts its own Weft (temporary state), then measures:
1. allocation throughput with 32 concurrent HTTP clients, on one hot item and on spread items;
2. the MRP computation over 1,000 / 5,000 / 10,000 open orders with five-level BOMs over
   5,000 items (bulk-loaded into a fresh tenant), in process: time and peak memory;
3. a brand viewer's first page of lots with 1,000,000 lots in the table: p50/p95 over HTTP
   and the query plan (an index scan on (customer_tenant_id, id DESC)).
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from libs.common.db import Database
from libs.common.ids import new_id
from services.production.inventory.ledger import _RESERVE
from services.production.mrp.service import compute_plan
from tools.run import bring_up
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack, make_stack

CLIENTS = 32
HOT_ORDERS = 1600
HOT_SHORT = 100  # orders more than the hot item holds


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def _ok(resp: Any, status: int = 200) -> dict[str, Any]:
    r = await resp
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
    return r.json()


# --- 1. allocation throughput ---------------------------------------------------------------


class CpuMeter:
    """CPU seconds (user + system) each part of the machine spends during a run: every
    process of the stack, Postgres (all its backends) and this benchmark's own client. Per
    allocation, it says where a 2-core machine's time goes."""

    def __init__(self, stack: Stack) -> None:
        self.parts: dict[str, list[psutil.Process]] = {
            name: [psutil.Process(p.pid)] for name, p in stack.procs.items()
        }
        self.parts["bench client"] = [psutil.Process()]

    def _postgres(self) -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]

    def snapshot(self) -> dict[str, float]:
        out = {name: sum(_cpu(p) for p in procs) for name, procs in self.parts.items()}
        out["postgres"] = sum(_cpu(p) for p in self._postgres())
        return out

    @staticmethod
    def report(before: dict[str, float], after: dict[str, float], n: int) -> str:
        spent = {k: after[k] - before.get(k, 0.0) for k in after}
        parts = sorted(spent.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {v / n * 1000:.1f}" for k, v in parts if v / n >= 0.0001)
        return f"CPU ms per allocation: {shown}; all {sum(spent.values()) / n * 1000:.1f}"


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
    except psutil.Error:
        return 0.0  # a backend that ended during the run
    return t.user + t.system + t.children_user + t.children_system


async def _insert_orders(
    conn: asyncpg.Connection,
    tenant: uuid.UUID,
    plant: str,
    products: list[dict[str, Any]],
    n: int,
    tag: str,
) -> list[uuid.UUID]:
    rows = await conn.fetch(
        """
        INSERT INTO production.orders (id, tenant_id, number, plant_id, product_id,
            product_version_id, product_sku, product_name, quantity, unit_price, currency,
            due_date, status, progress, created_by, version)
        SELECT uuidv7(), $1, $2 || g, $3, (p->>'id')::uuid, (p->>'version_id')::uuid, 'B', 'B',
               1, 1, 'EUR', current_date + (g % 60), 'pending', 0, 'bench', 1
        FROM generate_series(1, $4) g,
             LATERAL (SELECT ($5::jsonb) -> (g % jsonb_array_length($5::jsonb))::int AS p) x
        RETURNING id
        """,
        tenant,
        f"BENCH-{tag}-",
        uuid.UUID(plant),
        n,
        json.dumps(products),
    )
    return [r["id"] for r in rows]


async def bench_allocation(stack: Stack, ctx: SeedContext) -> None:
    headers = {"Authorization": f"Bearer {login(ctx, 'ops@paco.example', 'paco')}"}
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    async with httpx.AsyncClient(
        base_url=stack.service_url("production"), headers=headers, timeout=120, limits=limits
    ) as c:
        tag = uuid.uuid4().hex[:6]
        plant = await _ok(c.post("/plants", json={"code": f"BENCH-{tag}", "name": "Bench"}), 201)

        async def product_on(skus: list[str], stock: int = 100_000_000) -> dict[str, Any]:
            for sku in skus:
                await _ok(
                    c.post(
                        "/inventory/items",
                        json={
                            "plant_id": plant["id"],
                            "sku": sku,
                            "name": sku,
                            "initial_quantity": str(stock),
                        },
                    ),
                    201,
                )
            p = await _ok(
                c.post(
                    "/products",
                    json={
                        "sku": f"P-{skus[0]}",
                        "name": "bench",
                        "bom": [{"sku": s, "quantity": 1} for s in skus],
                    },
                ),
                201,
            )
            v = p["versions"][0]["id"]
            await _ok(c.post(f"/products/{p['id']}/versions/{v}/release"))
            return {"id": p["id"], "version_id": v}

        # The hot item holds less than the orders want: the last HOT_SHORT are refused (409
        # insufficient_stock), and the check after the run proves nothing was oversold.
        hot = [await product_on([f"HOT-{tag}"], stock=HOT_ORDERS - HOT_SHORT)]
        spread = [await product_on([f"SPREAD-{tag}-{i}"]) for i in range(CLIENTS)]
        conn = await asyncpg.connect(stack.admin_dsn())
        try:
            tenant = await conn.fetchval(
                "SELECT tenant_id FROM production.plants WHERE id = $1", uuid.UUID(plant["id"])
            )
            runs = {
                "hot item (all clients on one row)": await _insert_orders(
                    conn, tenant, plant["id"], hot, HOT_ORDERS, f"{tag}-H"
                ),
                "spread items (32 rows)": await _insert_orders(
                    conn, tenant, plant["id"], spread, 1600, f"{tag}-S"
                ),
            }
        finally:
            await conn.close()

        hot_item = await _item_id(stack, plant["id"], f"HOT-{tag}")
        rates: dict[str, float] = {}
        for name, ids in runs.items():
            queue = list(ids)
            latencies: list[float] = []
            failures: list[int] = []
            refused: list[int] = []

            async def worker(
                queue: list[uuid.UUID], lat: list[float], bad: list[int], short: list[int]
            ) -> None:
                while queue:
                    oid = queue.pop()
                    t0 = time.perf_counter()
                    r = await c.post(f"/orders/{oid}/allocate")
                    lat.append(time.perf_counter() - t0)
                    if r.status_code == 409 and r.json().get("code") == "insufficient_stock":
                        short.append(r.status_code)
                    elif r.status_code != 200:
                        bad.append(r.status_code)

            meter = CpuMeter(stack)
            before = meter.snapshot()
            t0 = time.perf_counter()
            await asyncio.gather(
                *[worker(queue, latencies, failures, refused) for _ in range(CLIENTS)]
            )
            took = time.perf_counter() - t0
            after = meter.snapshot()
            rates[name] = len(ids) / took
            print(
                f"  allocation, {name}: {len(ids)} orders, {CLIENTS} clients: "
                f"{len(ids) / took:.0f} allocations/s, p50 {_pct(latencies, 0.5) * 1000:.1f} ms, "
                f"p95 {_pct(latencies, 0.95) * 1000:.1f} ms, refused for stock {len(refused)}, "
                f"failures {len(failures)}",
                flush=True,
            )
            print(f"    {CpuMeter.report(before, after, len(ids))}", flush=True)
        await _oversell_check(stack, plant["id"], tag)
        hot_orders = next(iter(runs.values()))
        floor = await _allocation_floor(stack, tenant, hot_item, hot_orders)
        hot_rate, spread_rate = rates.values()
        print(
            f"  hot item / floor: {hot_rate / floor:.2f}; hot item / spread items: "
            f"{hot_rate / spread_rate:.2f} "
            "(near 1: the hot row's lock is not what limits allocation, the request's own work is)",
            flush=True,
        )


async def _oversell_check(stack: Stack, plant: str, tag: str) -> None:
    """After the runs: no item allocates more than it holds, each item's allocated is the
    sum of its ledger and of its orders' active allocations, and the hot item is sold out
    exactly (its stock was HOT_ORDERS - HOT_SHORT)."""
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        rows = await conn.fetch(
            """
            SELECT i.sku, i.on_hand, i.allocated,
                   (SELECT coalesce(sum(l.allocated_delta), 0) FROM production.inventory_ledger l
                    WHERE l.item_id = i.id) AS ledger,
                   (SELECT coalesce(sum(a.quantity), 0) FROM production.order_allocations a
                    WHERE a.item_id = i.id AND a.status = 'active') AS held
            FROM production.inventory_items i
            WHERE i.plant_id = $1 AND (i.sku LIKE 'HOT-%' OR i.sku LIKE 'SPREAD-%')
            """,
            uuid.UUID(plant),
        )
    finally:
        await conn.close()
    oversold = [r["sku"] for r in rows if r["allocated"] > r["on_hand"]]
    drift = [r["sku"] for r in rows if not r["allocated"] == r["ledger"] == r["held"]]
    hot = next(r for r in rows if r["sku"] == f"HOT-{tag}")
    sold_out = hot["allocated"] == hot["on_hand"] == HOT_ORDERS - HOT_SHORT
    print(
        f"  after the runs: oversold items {len(oversold)}, items whose allocated differs "
        f"from their ledger or their orders {len(drift)}, hot item sold out exactly: "
        f"{'yes' if sold_out else 'NO'} ({hot['allocated']:.0f} of {hot['on_hand']:.0f})",
        flush=True,
    )
    if oversold or drift or not sold_out:
        raise RuntimeError(f"allocation is wrong: oversold {oversold}, drift {drift}")


async def _item_id(stack: Stack, plant: str, sku: str) -> uuid.UUID:
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        found = await conn.fetchval(
            "SELECT id FROM production.inventory_items WHERE plant_id = $1 AND sku = $2",
            uuid.UUID(plant),
            sku,
        )
    finally:
        await conn.close()
    assert isinstance(found, uuid.UUID)
    return found


def _asyncpg_sql(sql: str, names: list[str]) -> str:
    for n, name in enumerate(names, start=1):
        sql = sql.replace(f":{name}", f"${n}")
    return sql


async def _allocation_floor(
    stack: Stack, tenant: uuid.UUID, item: uuid.UUID, orders: list[uuid.UUID]
) -> float:
    """The floor: the very statement allocation issues (lock, check, reserve, ledger row,
    the order's allocation row), straight through asyncpg as the service's role, with the
    tenant set, BEGIN and COMMIT: what Postgres allows on one hot row with the same number
    of clients, one allocation per order of the hot run."""
    n = len(orders)
    names = ["ids", "qtys", "entries", "holds", "tenant", "order_id", "actor", "reference"]
    sql = _asyncpg_sql(_RESERVE.text, names)
    admin = await asyncpg.connect(stack.admin_dsn())
    try:  # the runs sold the hot item out: restock it, so the floor reserves as they did
        await admin.execute(
            "UPDATE production.inventory_items SET on_hand = on_hand + $2 WHERE id = $1", item, n
        )
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(
        stack.service_dsn("production", driver="postgresql"),
        min_size=CLIENTS,
        max_size=CLIENTS,
        server_settings={"search_path": "production"},
    )
    assert pool is not None
    left = [n]
    latencies: list[float] = []

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            order = orders[left[0]]
            t0 = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(tenant))
                await conn.fetch(
                    sql,
                    [item],
                    [Decimal(1)],
                    [new_id()],
                    [new_id()],
                    tenant,
                    order,
                    "bench",
                    "floor",
                )
            latencies.append(time.perf_counter() - t0)

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(CLIENTS)])
        took = time.perf_counter() - t0
    finally:
        await pool.close()
    print(
        f"  allocation floor (the same conditional statement straight through asyncpg), hot "
        f"item: {n} allocations, {CLIENTS} clients: {n / took:.0f} allocations/s, "
        f"p50 {_pct(latencies, 0.5) * 1000:.1f} ms",
        flush=True,
    )
    return n / took


# --- 2. MRP over 5-level BOMs ----------------------------------------------------------------

LEVELS = [50, 100, 200, 400, 800]  # products per level, top first
ITEMS = 5000


async def load_mrp_tenant(conn: asyncpg.Connection, orders: int) -> tuple[uuid.UUID, uuid.UUID]:
    rnd = random.Random(7)
    tenant, plant = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO production.plants (id, tenant_id, code, name, address, is_default, version) "
        "VALUES ($1, $2, 'MRP', 'MRP bench', '{}', true, 1)",
        plant,
        tenant,
    )
    items = [
        (
            uuid.uuid4(),
            tenant,
            plant,
            f"I{i:05d}",
            f"Item {i}",
            "pcs",
            Decimal(rnd.randint(0, 20000)),
            Decimal(0),
            Decimal(rnd.choice([0, 500, 1000])),
            Decimal(rnd.choice([0, 100, 1000])),
            Decimal("0.5"),
            "EUR",
            1,
        )
        for i in range(ITEMS)
    ]
    await conn.copy_records_to_table(
        "inventory_items",
        schema_name="production",
        records=items,
        columns=[
            "id",
            "tenant_id",
            "plant_id",
            "sku",
            "name",
            "unit",
            "on_hand",
            "allocated",
            "reorder_level",
            "reorder_quantity",
            "unit_cost",
            "currency",
            "version",
        ],
    )
    levels: list[list[tuple[uuid.UUID, uuid.UUID]]] = []
    products: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for depth, count in enumerate(LEVELS):
        level = []
        for k in range(count):
            pid, vid = uuid.uuid4(), uuid.uuid4()
            products.append((pid, tenant, f"L{depth}-{k}", f"Level {depth} #{k}", "pcs", 1))
            versions.append((vid, tenant, pid, 1, "released", 1))
            level.append((pid, vid))
        levels.append(level)
    for depth, level in enumerate(levels):
        for k, (_pid, vid) in enumerate(level):
            n = 1
            if depth + 1 < len(levels):
                below = levels[depth + 1]
                for j in (2 * k, 2 * k + 1):
                    lines.append(
                        (
                            uuid.uuid4(),
                            tenant,
                            vid,
                            n,
                            None,
                            below[j % len(below)][0],
                            Decimal(rnd.randint(1, 3)),
                        )
                    )
                    n += 1
            for _ in range(3 if depth + 1 < len(levels) else 4):
                lines.append(
                    (
                        uuid.uuid4(),
                        tenant,
                        vid,
                        n,
                        f"I{rnd.randrange(ITEMS):05d}",
                        None,
                        Decimal(rnd.randint(1, 4)) / 2,
                    )
                )
                n += 1
    await conn.copy_records_to_table(
        "products",
        schema_name="production",
        records=products,
        columns=["id", "tenant_id", "sku", "name", "unit", "version"],
    )
    await conn.copy_records_to_table(
        "product_versions",
        schema_name="production",
        records=versions,
        columns=["id", "tenant_id", "product_id", "number", "status", "version"],
    )
    await conn.copy_records_to_table(
        "bom_lines",
        schema_name="production",
        records=lines,
        columns=[
            "id",
            "tenant_id",
            "product_version_id",
            "line_no",
            "component_sku",
            "component_product_id",
            "quantity",
        ],
    )
    top = levels[0]
    order_rows = []
    for i in range(orders):
        pid, vid = top[i % len(top)]
        order_rows.append(
            (
                uuid.uuid4(),
                tenant,
                f"MRP-{i}",
                plant,
                pid,
                vid,
                "T",
                "T",
                rnd.randint(1, 50),
                Decimal(1),
                "EUR",
                date(2027, 1, 1) + timedelta(days=i % 90),
                "pending",
                0,
                "bench",
                1,
            )
        )
    await conn.copy_records_to_table(
        "orders",
        schema_name="production",
        records=order_rows,
        columns=[
            "id",
            "tenant_id",
            "number",
            "plant_id",
            "product_id",
            "product_version_id",
            "product_sku",
            "product_name",
            "quantity",
            "unit_price",
            "currency",
            "due_date",
            "status",
            "progress",
            "created_by",
            "version",
        ],
    )
    await conn.execute(
        "ANALYZE production.orders; ANALYZE production.bom_lines; "
        "ANALYZE production.inventory_items"
    )
    return tenant, plant


async def bench_mrp(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        t0 = time.perf_counter()
        tenant, _ = await load_mrp_tenant(conn, 10_000)
        bom_lines = await conn.fetchval(
            "SELECT count(*) FROM production.bom_lines WHERE tenant_id = $1", tenant
        )
        print(
            f"  MRP data: {ITEMS} items, {sum(LEVELS)} products in 5 levels, {bom_lines} BOM "
            f"lines, 10,000 orders loaded in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        db = Database(stack.service_dsn("production"), schema="production")
        proc = psutil.Process()
        try:
            for open_orders in (1_000, 5_000, 10_000):
                await conn.execute(
                    "UPDATE production.orders o SET status = CASE WHEN r.n <= $2 THEN 'pending' "
                    "ELSE 'done' END FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
                    "FROM production.orders WHERE tenant_id = $1) r WHERE o.id = r.id",
                    tenant,
                    open_orders,
                )
                rss0 = proc.memory_info().rss
                async with db.transaction(tenant) as s:
                    t0 = time.perf_counter()
                    plan = await compute_plan(s, tenant)
                    took = time.perf_counter() - t0
                rss1 = proc.memory_info().rss
                del plan
                tracemalloc.start()
                async with db.transaction(tenant) as s:
                    plan = await compute_plan(s, tenant)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                print(
                    f"  MRP, {open_orders:>6,} open orders: {took:.2f} s, peak Python memory "
                    f"{peak / 2**20:.0f} MiB (tracemalloc), RSS {rss1 / 2**20:.0f} MiB "
                    f"(+{max(0, rss1 - rss0) / 2**20:.0f}); {plan['summary']['items_short']} "
                    f"items short, {plan['summary']['blocked_orders']} orders blocked, "
                    f"{len(plan['lines'])} plan lines",
                    flush=True,
                )
                del plan
        finally:
            await db.dispose()
    finally:
        await conn.close()


# --- 3. a brand's first page of lots among 1,000,000 ----------------------------------------


async def bench_brand_lots(stack: Stack, ctx: SeedContext) -> None:
    lbx = uuid.UUID(ctx.data["tenants"]["luxury-brand-x"])
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        order = await conn.fetchrow(
            "SELECT id, tenant_id, plant_id, number FROM production.orders "
            "WHERE customer_tenant_id = $1 LIMIT 1",
            lbx,
        )
        t0 = time.perf_counter()
        # 1% of the lots are Luxury Brand X's, the rest spread over 99 other brands.
        await conn.execute(
            """
            INSERT INTO production.lots (id, tenant_id, number, order_id, order_number, plant_id,
                customer_tenant_id, product_sku, quantity, gate, gate_changed_at, version,
                created_at, updated_at)
            SELECT uuidv7(), $1, 'BL-' || g, $2, $3, $4,
                   CASE WHEN g % 100 = 0 THEN $5 ELSE brands[1 + g % 99] END,
                   'GBX-DLX', 100, 'created', now(), 1, now(), now()
            FROM generate_series(1, 1000000) g,
                 (SELECT array_agg(gen_random_uuid()) AS brands FROM generate_series(1, 99)) b
            """,
            order["tenant_id"],
            order["id"],
            order["number"],
            order["plant_id"],
            lbx,
        )
        await conn.execute("ANALYZE production.lots")
        total = await conn.fetchval("SELECT count(*) FROM production.lots")
        print(
            f"  lots: {total:,} rows in the table (inserted in {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
    finally:
        await conn.close()

    svc = await asyncpg.connect(stack.service_dsn("production", driver="postgresql"))
    try:
        async with svc.transaction():
            await svc.execute("SELECT set_config('weft.tenant_id', $1, true)", str(lbx))
            plan = await svc.fetch(
                "EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) SELECT * FROM lots "
                "WHERE customer_tenant_id = $1 ORDER BY id DESC LIMIT 51",
                lbx,
            )
        print("  EXPLAIN of the brand's first page (as the service role, RLS on):")
        for row in plan:
            print(f"    {row[0]}")
    finally:
        await svc.close()

    headers = {
        "Authorization": f"Bearer {login(ctx, 'viewer@luxurybrandx.example', 'luxury-brand-x')}"
    }
    async with httpx.AsyncClient(
        base_url=stack.service_url("production"), headers=headers, timeout=30
    ) as c:
        for _ in range(10):
            await c.get("/lots", params={"limit": 50})
        latencies = []
        for _ in range(200):
            t0 = time.perf_counter()
            r = await c.get("/lots", params={"limit": 50})
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200 and len(r.json()["items"]) == 50
        t0 = time.perf_counter()
        r = await c.get("/lots", params={"limit": 50, "cursor": r.json()["next_cursor"]})
        second = time.perf_counter() - t0
    print(
        f"  brand viewer GET /lots?limit=50 over HTTP: p50 {_pct(latencies, 0.5) * 1000:.1f} ms, "
        f"p95 {_pct(latencies, 0.95) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms;"
        f" next page {second * 1000:.1f} ms",
        flush=True,
    )


async def _all(stack: Stack, ctx: SeedContext, parts: list[str]) -> None:
    if "allocation" in parts:
        await bench_allocation(stack, ctx)
    if "mrp" in parts:
        await bench_mrp(stack)
    if "lots" in parts:
        await bench_brand_lots(stack, ctx)


def main(parts: list[str] | None = None) -> None:
    """`python -m bench.production_bench [allocation] [mrp] [lots]`: all three if none."""
    state = Path(tempfile.mkdtemp(prefix="weft-bench-production-"))
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        t0 = time.perf_counter()
        ctx = bring_up(stack, seed=True)
        assert ctx is not None
        print(f"  stack up and seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        asyncio.run(_all(stack, ctx, parts or ["allocation", "mrp", "lots"]))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
