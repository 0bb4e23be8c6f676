"""Offline op replay: `python -m bench.field_bench` (a minute or two).

Starts its own Weft (temporary state), then, as the demo operator on production:
1. a 500-op batch (`POST /replay`: stage parameters and clock writes on one active stage),
   several times with fresh keys: time p50/p95 (target p95 < 2 s) and ops/s;
2. the floor, in the same run: the same 500 ops sent as single requests (each with its
   Idempotency-Key), one after another as a device would: ops/s, and the ratio;
3. the same batch once more: every op a duplicate (what a retry after a lost answer costs).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tools.run import bring_up
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack, make_stack

OPS = 500
RUNS = 7
STAGES = [
    {
        "name": "Wrapping",
        "estimated_minutes": 45,
        "parameters": [
            {"name": "glue temperature", "target": "180", "unit": "C", "tolerance": "5"}
        ],
    }
]


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def _ok(resp: Any, status: int = 200) -> dict[str, Any]:
    r = await resp
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
    return r.json()  # type: ignore[no-any-return]


async def _active_stage(c: httpx.AsyncClient, ops_h: dict[str, str], op_h: dict[str, str]) -> str:
    """A production order whose one stage the operator has started; its stage path."""
    tag = uuid.uuid4().hex[:8]
    plant = await _ok(
        c.post("/plants", headers=ops_h, json={"code": f"B-{tag}", "name": "Bench"}), 201
    )
    sku = f"BM-{tag}"
    await _ok(
        c.post(
            "/inventory/items",
            headers=ops_h,
            json={"plant_id": plant["id"], "sku": sku, "name": sku, "initial_quantity": "100"},
        ),
        201,
    )
    p = await _ok(
        c.post(
            "/products",
            headers=ops_h,
            json={
                "sku": f"BP-{tag}",
                "name": "bench",
                "bom": [{"sku": sku, "quantity": 1}],
                "stages": STAGES,
            },
        ),
        201,
    )
    version = p["versions"][0]["id"]
    await _ok(c.post(f"/products/{p['id']}/versions/{version}/release", headers=ops_h))
    order = await _ok(
        c.post(
            "/orders",
            headers=ops_h,
            json={
                "number": f"B-{tag}",
                "plant_id": plant["id"],
                "product_id": p["id"],
                "quantity": 1,
                "unit_price": "1.00",
                "currency": "EUR",
                "due_date": "2027-01-31",
            },
        ),
        201,
    )
    await _ok(c.post(f"/orders/{order['id']}/allocate", headers=ops_h))
    po = await _ok(c.post("/production-orders", headers=ops_h, json={"order_id": order["id"]}), 201)
    stage = f"/production-orders/{po['id']}/stages/{po['stages'][0]['id']}"
    await _ok(c.post(f"{stage}/start", headers=op_h))
    return stage


def _ops(stage: str) -> list[dict[str, Any]]:
    """500 queued writes: parameters, with a clock in and out every tenth op."""
    start = datetime.now(UTC) - timedelta(hours=3)
    tag = uuid.uuid4().hex
    out: list[dict[str, Any]] = []
    body: dict[str, Any]
    for i in range(OPS):
        if i % 10 == 8:
            path, body = (
                f"{stage}/clock-in",
                {"clocked_at": (start + timedelta(seconds=20 * i)).isoformat()},
            )
        elif i % 10 == 9:
            path, body = (
                f"{stage}/clock-out",
                {"clocked_at": (start + timedelta(seconds=20 * i)).isoformat()},
            )
        else:
            path, body = (
                f"{stage}/parameters",
                {"actuals": [{"name": "glue temperature", "value": str(175 + i % 10)}]},
            )
        out.append(
            {
                "seq": i,
                "idempotency_key": f"{tag}-{i}",
                "method": "POST",
                "path": path,
                "body": body,
            }
        )
    return out


async def _bench(stack: Stack, ctx: SeedContext) -> None:
    ops_h = {"Authorization": f"Bearer {login(ctx, 'ops@paco.example', 'paco')}"}
    op_h = {"Authorization": f"Bearer {login(ctx, 'operator@paco.example', 'paco')}"}
    async with httpx.AsyncClient(base_url=stack.service_url("production"), timeout=120) as c:
        # warm-up: the token cache, the connection pool, the code paths
        warm = _ops(await _active_stage(c, ops_h, op_h))[:50]
        await _ok(c.post("/replay", headers=op_h, json={"ops": warm}))

        times: list[float] = []
        last: list[dict[str, Any]] = []
        for _ in range(RUNS):
            last = _ops(await _active_stage(c, ops_h, op_h))
            t = time.perf_counter()
            got = await _ok(c.post("/replay", headers=op_h, json={"ops": last}))
            times.append(time.perf_counter() - t)
            if got["counts"]["applied"] != OPS:
                raise RuntimeError(f"not every op applied: {got['counts']}")
        p50, p95 = statistics.median(times), _pct(times, 0.95)
        print(
            f"  batch of {OPS} ops, {RUNS} runs: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
            f"(target < 2000 ms: {'met' if p95 < 2 else 'NOT met'}), {OPS / p50:.0f} ops/s"
        )

        singles = _ops(await _active_stage(c, ops_h, op_h))
        t = time.perf_counter()
        for op in singles:
            r = await c.post(
                op["path"],
                json=op["body"],
                headers={**op_h, "Idempotency-Key": op["idempotency_key"]},
            )
            if r.status_code >= 400:
                raise RuntimeError(f"{op['path']}: {r.status_code} {r.text}")
        single = time.perf_counter() - t
        print(
            f"  floor: the same {OPS} ops as single requests, in order: {single * 1000:.0f} ms, "
            f"{OPS / single:.0f} ops/s; batch/single throughput ratio {single / p50:.1f}x"
        )

        t = time.perf_counter()
        got = await _ok(c.post("/replay", headers=op_h, json={"ops": last}))
        dup = time.perf_counter() - t
        if got["counts"]["duplicate"] != OPS:
            raise RuntimeError(f"a replayed batch changed something: {got['counts']}")
        print(
            f"  the last batch again (all duplicates): {dup * 1000:.0f} ms, {OPS / dup:.0f} ops/s"
        )


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="weft-bench-field-"))
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        t0 = time.perf_counter()
        ctx = bring_up(stack, seed=True)
        assert ctx is not None
        print(f"  stack up and seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        asyncio.run(_bench(stack, ctx))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
