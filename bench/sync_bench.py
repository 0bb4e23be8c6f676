"""Sync: signed deliveries per second, outbox-to-first-attempt latency, and isolation from a
dead endpoint, measured in one run.

    python -m bench.sync_bench [--events 300] [--rate 20] [--seconds 5] [--rounds 5]

Starts its own PostgreSQL (temporary state, free ports), migrates sync and quality, starts one
sync process and a webhook receiver (aiohttp + uvloop) in another process, and subscribes
endpoints by writing them straight into sync's schema. Then:

1. throughput: signed batches of `bench.a.*` events go to sync's ingest; each fans out to
   100 endpoints; deliveries per second are read from the receiver's arrival times;
2. latency: a relay (libs.common.relay, as every service runs it) ships quality outbox rows
   written with emit_event at `--rate` per second to 10 endpoints; p50/p99 of commit ->
   first attempt arriving at the receiver;
3. the same with one more endpoint that never answers (every call times out): the healthy
   endpoints' p99 next to the baseline of step 2. Baseline and dead-endpoint rounds
   alternate, each with fresh endpoints, so noise from the shared machine hits both alike.
The machine is small and shared: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

# ------------------------------------------------------------------ receiver (own process)


def _receiver_main(port: int) -> None:
    import uvloop
    from aiohttp import web

    arrivals: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    pairs: dict[str, list[tuple[float, float]]] = {}

    async def hook(request: web.Request) -> web.Response:
        group = request.match_info["group"]
        body = await request.read()
        now = time.time()
        arrivals.setdefault(group, []).append(now)
        if group == "slow":
            await asyncio.sleep(3600)  # never answers: every call times out at sync
        t0 = orjson.loads(body)["data"].get("t0")
        if t0 is not None:
            latencies.setdefault(group, []).append(now - t0)
            pairs.setdefault(group, []).append((now, now - t0))
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        group = request.match_info["group"]
        arr = sorted(arrivals.get(group, []))
        lat = sorted(latencies.get(group, []))
        out: dict[str, Any] = {"count": len(arr)}
        if arr:
            lo, hi = arr[len(arr) // 10], arr[(len(arr) * 9) // 10]
            out["sustained_per_s"] = (len(arr) * 0.8) / (hi - lo) if hi > lo else None
            out["first"], out["last"] = arr[0], arr[-1]
        if lat:
            out["p50_ms"] = lat[len(lat) // 2] * 1000
            out["p99_ms"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            out["max_ms"] = lat[-1] * 1000
        if request.query.get("raw"):
            out["latencies"] = lat
        if request.query.get("pairs") and arr:
            out["slow"] = [
                (round(at - arr[0], 2), round(ms * 1000))
                for at, ms in pairs.get(group, [])
                if ms > 0.03
            ]
        return web.json_response(out)

    app = web.Application()
    app.router.add_post("/e/{group}/{n}", hook)
    app.router.add_get("/stats/{group}", stats)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# ------------------------------------------------------------------ the run


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not up in {timeout}s")


async def _endpoints(admin_dsn: str, tenant: uuid.UUID, urls: list[str]) -> None:
    import asyncpg

    from libs.common.ids import new_id
    from libs.common.webhooks import generate_secret

    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.executemany(
            "INSERT INTO sync.endpoints (id, tenant_id, kind, scope, url, event_types, enabled, "
            "secret, version) VALUES ($1, $2, 'tenant', 'own', $3, $4, true, $5, 1)",
            [(new_id(), tenant, u, ["bench.*"], generate_secret()) for u in urls],
        )
    finally:
        await conn.close()


async def _stats(client: httpx.AsyncClient, recv: str, group: str) -> dict[str, Any]:
    return (await client.get(f"{recv}/stats/{group}")).json()  # type: ignore[no-any-return]


async def _wait_count(
    client: httpx.AsyncClient, recv: str, group: str, n: int, limit: float
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        st = await _stats(client, recv, group)
        if st["count"] >= n or time.monotonic() > deadline:
            return st
        await asyncio.sleep(0.25)


async def _throughput(stack: Any, recv: str, events: int) -> dict[str, Any]:
    from libs.common.webhooks import signed_headers

    tenant = uuid.uuid4()
    await _endpoints(stack.admin_dsn(), tenant, [f"{recv}/e/a/{i}" for i in range(100)])
    secret = stack.secrets["service_secret_quality"]
    ingest = f"{stack.service_url('sync')}/internal/events"
    started = time.time()
    async with httpx.AsyncClient(timeout=60) as client:
        for start in range(0, events, 50):
            batch = [
                {
                    "id": str(uuid.uuid4()),
                    "type": "bench.a.x",
                    "tenant_id": str(tenant),
                    "subject": "bench",
                    "occurred_at": "2026-01-01T00:00:00Z",
                    "data": {"i": i},
                }
                for i in range(start, min(events, start + 50))
            ]
            body = orjson.dumps({"events": batch})
            headers = signed_headers([secret], str(uuid.uuid4()), body)
            headers["X-Weft-Service"] = "quality"
            (await client.post(ingest, content=body, headers=headers)).raise_for_status()
        ingested = time.time()
        st = await _wait_count(client, recv, "a", events * 100, limit=180)
    st["ingest_s"] = ingested - started
    st["total_s"] = (st.get("last") or time.time()) - started
    st["expected"] = events * 100
    return st


async def _round(
    stack: Any, db: Any, recv: str, group: str, rate: float, seconds: float, dead: str | None
) -> None:
    """One round of outbox events at `rate` to 10 fresh endpoints (plus a dead one)."""
    import asyncpg

    from libs.common.outbox import emit_event
    from services.quality.models import outbox

    tenant = uuid.uuid4()
    urls = [f"{recv}/e/{group}/{i}" for i in range(10)]
    if dead:
        urls.append(f"{dead}/e/slow/{tenant}")
    await _endpoints(stack.admin_dsn(), tenant, urls)
    n = int(rate * seconds)
    t_start = time.monotonic()
    for i in range(n):
        async with db.transaction(tenant) as s:
            await emit_event(
                s,
                outbox,
                type=f"bench.{group}.x",
                tenant_id=tenant,
                subject="bench",
                data={"t0": time.time(), "i": i},
            )
        await asyncio.sleep(max(0.0, t_start + (i + 1) / rate - time.monotonic()))
    await asyncio.sleep(1.0)  # let the last deliveries land
    if dead:  # the next baseline round runs without it
        conn = await asyncpg.connect(stack.admin_dsn())
        try:
            await conn.execute("UPDATE sync.endpoints SET enabled = false WHERE url = $1", urls[-1])
        finally:
            await conn.close()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def _latency(
    stack: Any, recv: str, dead: str, rate: float, seconds: float, rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Baseline and dead-endpoint rounds, interleaved so machine noise hits both alike.

    Returns, for each kind, p50/p99/max over all its deliveries and the median of the
    per-round p99s (one stall of the shared machine moves the first, not the second)."""
    from libs.common.db import Database
    from libs.common.relay import Relay

    db = Database(stack.service_dsn("quality"), schema="quality", pool_size=4)
    relay = Relay(
        db,
        service="quality",
        secret=stack.secrets["service_secret_quality"],
        ingest_url=f"{stack.service_url('sync')}/internal/events",
    )
    await relay.start()
    per_round = int(rate * seconds) * 10
    out: dict[str, dict[str, Any]] = {}
    try:
        for r in range(rounds):
            await _round(stack, db, recv, f"b{r}", rate, seconds, dead=None)
            await _round(stack, db, recv, f"c{r}", rate, seconds, dead=dead)
        async with httpx.AsyncClient(timeout=30) as client:
            for kind in ("b", "c"):
                lats: list[float] = []
                p99s: list[float] = []
                for r in range(rounds):
                    await _wait_count(client, recv, f"{kind}{r}", per_round, limit=30)
                    st = (await client.get(f"{recv}/stats/{kind}{r}", params={"raw": 1})).json()
                    lats += st.get("latencies", [])
                    p99s.append(st.get("p99_ms", float("nan")))
                out[kind] = {
                    "count": len(lats),
                    "expected": per_round * rounds,
                    "p50_ms": _pct(lats, 0.5),
                    "p99_ms": _pct(lats, 0.99),
                    "max_ms": max(lats) * 1000,
                    "round_p99_median_ms": sorted(p99s)[rounds // 2],
                }
            out["c"]["slow_endpoint_hits"] = (await _stats(client, dead, "slow"))["count"]
    finally:
        await relay.stop()
        await db.dispose()
    return out["b"], out["c"]


async def _run(args: argparse.Namespace) -> None:
    from libs.common.migrations import upgrade
    from tools.pg import free_port
    from tools.services import ROOT, SERVICES
    from tools.stack import make_stack

    state = Path(tempfile.mkdtemp(prefix="weft-sync-bench-"))
    stack = make_stack(state, fixed_ports=False, environment="development")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.to_thread(stack.start_database)
        for name in ("sync", "quality"):
            spec = next(s for s in SERVICES if s.name == name)
            await asyncio.to_thread(upgrade, spec.migrations_dir, stack.service_dsn(name))
        base = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
        base["PYTHONPATH"] = str(ROOT)
        # healthy endpoints on one receiver; the dead one on its own (another tenant's server)
        rport, dport = free_port(), free_port()
        recv, dead = f"http://127.0.0.1:{rport}", f"http://127.0.0.1:{dport}"
        for port in (rport, dport):
            procs.append(
                _spawn(
                    [sys.executable, "-m", "bench.sync_bench", "receiver", str(port)],
                    base,
                    state / f"receiver-{port}.log",
                )
            )
        spec = next(s for s in SERVICES if s.name == "sync")
        env = {
            **base,
            **stack.service_env(spec),
            "WEFT_SYNC_LOG_LEVEL": "WARNING",
            "WEFT_SYNC_DELIVERY_TIMEOUT_SECONDS": "2",
            "WEFT_SYNC_ALLOW_PRIVATE_URLS": "true",
        }
        procs.append(
            _spawn(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    spec.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(stack.config.service_ports["sync"]),
                    "--no-access-log",
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                ],
                env,
                state / "sync.log",
            )
        )
        await asyncio.to_thread(_wait_http, f"{recv}/stats/none")
        await asyncio.to_thread(_wait_http, f"{dead}/stats/none")
        await asyncio.to_thread(_wait_http, f"{stack.service_url('sync')}/healthz")

        a = await _throughput(stack, recv, args.events)
        print(
            f"throughput: {a['count']}/{a['expected']} signed deliveries to 100 endpoints "
            f"in {a['total_s']:.1f} s = {a['count'] / a['total_s']:.0f}/s overall, "
            f"{(a.get('sustained_per_s') or 0):.0f}/s sustained (10%-90%); "
            f"ingest of {args.events} events took {a['ingest_s']:.2f} s",
            flush=True,
        )
        b, c = await _latency(stack, recv, dead, args.rate, args.seconds, args.rounds)
        print(
            f"outbox -> first attempt ({args.rate:g} events/s x 10 endpoints, via the relay, "
            f"{args.rounds} rounds of {args.seconds:g} s): {b['count']}/{b['expected']} "
            f"p50 {b['p50_ms']:.0f} ms, p99 {b['p99_ms']:.0f} ms, max {b['max_ms']:.0f} ms; "
            f"median round p99 {b['round_p99_median_ms']:.0f} ms",
            flush=True,
        )
        rise = (c["p99_ms"] / b["p99_ms"] - 1) * 100
        rise_med = (c["round_p99_median_ms"] / b["round_p99_median_ms"] - 1) * 100
        print(
            f"same, plus one endpoint that never answers (every call times out), rounds "
            f"interleaved with the baseline: {c['count']}/{c['expected']} healthy "
            f"p50 {c['p50_ms']:.0f} ms, p99 {c['p99_ms']:.0f} ms ({rise:+.0f}% on "
            f"{b['p99_ms']:.0f} ms), median round p99 {c['round_p99_median_ms']:.0f} ms "
            f"({rise_med:+.0f}% on {b['round_p99_median_ms']:.0f} ms); the dead endpoints "
            f"got {c['slow_endpoint_hits']} attempts",
            flush=True,
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        await asyncio.to_thread(stack.stop)


def main(argv: list[str] | None = None) -> None:
    argv = [] if argv is None else argv
    if argv and argv[0] == "receiver":
        _receiver_main(int(argv[1]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300, help="events x 100 endpoints")
    parser.add_argument("--rate", type=float, default=20, help="outbox events per second")
    parser.add_argument("--seconds", type=float, default=5, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5, help="baseline + dead-endpoint pairs")
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
