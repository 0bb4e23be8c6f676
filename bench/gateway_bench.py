"""The hot path against its floor, gateway overhead, login rate and token verification
cost, measured in one run.

    python -m bench.gateway_bench [--duration 10] [--concurrency 32]

Starts its own stack (temporary state, free ports, rate limits off in its gateway) and the
floor (`bench.floor_app`: a minimal FastAPI + raw asyncpg app, as a real process, under the
same per-service database roles), then load-tests two reads, each three ways: the floor,
the service straight, and through the gateway:

- one row by primary key: identity's `GET /tenants/{own tenant id}` (admin@paco.example);
- a brand's first page of 50 lots: production's `GET /lots?limit=50` with a CLIENT token of
  the demo brand (viewer@luxurybrandx.example); the floor runs the same SQL with the same
  row-level security settings.

Load comes from `wrk` when it is installed (else an aiohttp + uvloop client in a separate
process), 32 connections, in alternating rounds so the machine's noise hits every target.
The machine is small and shared: read the ratios (service/floor, gateway/service), not the
absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tools.services import ROOT

DEFAULT_DURATION = 10.0
DEFAULT_CONCURRENCY = 32


# --- the load generator (runs in its own process) -----------------------------------------


async def _load(
    url: str,
    headers: dict[str, str],
    concurrency: int,
    duration: float,
    warmup: float,
    method: str = "GET",
    bodies: list[bytes] | None = None,
) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        measuring = False
        stop_at = time.perf_counter() + warmup + duration

        async def worker(i: int) -> None:
            body = bodies[i % len(bodies)] if bodies else None
            while True:
                start = time.perf_counter()
                if start >= stop_at:
                    return
                async with session.request(method, url, headers=headers, data=body) as resp:
                    await resp.read()
                    status = resp.status
                if measuring:
                    latencies.append(time.perf_counter() - start)
                    statuses[status] = statuses.get(status, 0) + 1

        async def switch() -> None:
            nonlocal measuring
            await asyncio.sleep(warmup)
            measuring = True

        began = time.perf_counter()
        await asyncio.gather(switch(), *(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began - warmup
    return {
        "elapsed": elapsed,
        "latencies_ms": [round(x * 1000, 3) for x in latencies],
        "statuses": statuses,
    }


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for r in rounds for x in r["latencies_ms"])
    elapsed = sum(r["elapsed"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for k, v in r["statuses"].items():
            statuses[str(k)] = statuses.get(str(k), 0) + v
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] if n else float("nan")

    return {
        "requests": n,
        "rps": n / elapsed if elapsed > 0 else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "statuses": statuses,
    }


def _load_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", action="append", default=[])
    args = parser.parse_args(argv)
    headers = dict(h.split(":", 1) for h in args.header)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        _load(
            args.url,
            {k.strip(): v.strip() for k, v in headers.items()},
            args.concurrency,
            args.duration,
            args.warmup,
            args.method,
            [b.encode() for b in args.body],
        )
    )
    print(json.dumps(result))


def run_load(
    url: str,
    headers: dict[str, str],
    *,
    concurrency: int,
    duration: float,
    method: str = "GET",
    bodies: list[str] | None = None,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.gateway_bench",
        "load",
        url,
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
        "--method",
        method,
    ]
    for k, v in headers.items():
        cmd += ["--header", f"{k}: {v}"]
    for body in bodies or ():
        cmd += ["--body", body]
    out = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# wrk reports through this script: one JSON line (latencies in microseconds).
_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "aiohttp + uvloop (wrk is not installed)"


def run_wrk(
    url: str, headers: dict[str, str], *, concurrency: int, duration: float
) -> dict[str, Any]:
    """One wrk run (one thread: the machine has few cores), with a 1 s warm-up run first."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_REPORT)
    try:
        base = ["wrk", "-t1", f"-c{concurrency}", "--timeout", "30s", "-s", script.name]
        for k, v in headers.items():
            base += ["-H", f"{k}: {v}"]
        subprocess.run([*base, "-d1s", url], capture_output=True, timeout=60, check=False)
        out = subprocess.run(
            [*base, f"-d{max(1, round(duration))}s", url],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    finally:
        os.unlink(script.name)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr[-2000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    bad = r["non2xx"] + r["socket_errors"]
    return {
        "requests": r["requests"],
        "elapsed": r["duration_us"] / 1e6,
        "p50_ms": r["p50_us"] / 1000,
        "p95_ms": r["p95_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "statuses": {"non-2xx or socket error": bad} if bad else {},
    }


def measure(
    url: str, headers: dict[str, str], *, concurrency: int, duration: float
) -> dict[str, Any]:
    """One round against `url` with wrk if installed, else the aiohttp load generator."""
    if shutil.which("wrk"):
        return run_wrk(url, headers, concurrency=concurrency, duration=duration)
    return summarize([run_load(url, headers, concurrency=concurrency, duration=duration)])


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one target together: requests over time; latencies weighted by requests."""
    n = sum(r["requests"] for r in rounds)
    elapsed = sum(r["elapsed"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for k, v in r["statuses"].items():
            statuses[str(k)] = statuses.get(str(k), 0) + v

    def weighted(key: str) -> float:
        return sum(r[key] * r["requests"] for r in rounds) / n if n else float("nan")

    return {
        "requests": n,
        "rps": n / elapsed if elapsed > 0 else 0.0,
        "p50_ms": weighted("p50_ms"),
        "p95_ms": weighted("p95_ms"),
        "p99_ms": weighted("p99_ms"),
        "statuses": {k: v for k, v in statuses.items() if k != "200"},
    }


# --- the floor: a minimal FastAPI + asyncpg app as a real process ----------------------------


def start_floor(stack: Any, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WEFT_")},
        "PYTHONPATH": str(ROOT),
        "FLOOR_IDENTITY_DSN": stack.service_dsn("identity", driver="postgresql"),
        "FLOOR_PRODUCTION_DSN": stack.service_dsn("production", driver="postgresql"),
    }
    # started like the services (tools.stack): uvicorn, uvloop, httptools, no access log
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.floor_app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the floor app exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the floor app did not start") from None
            time.sleep(0.2)


async def _brand_lots(dsn: str, brand: uuid.UUID, n: int) -> uuid.UUID:
    """Give the demo brand `n` more lots (so its first page is a full 50); its provider."""
    conn = await asyncpg.connect(dsn)
    try:
        order = await conn.fetchrow(
            "SELECT id, tenant_id, plant_id, number FROM production.orders "
            "WHERE customer_tenant_id = $1 LIMIT 1",
            brand,
        )
        if order is None:
            raise RuntimeError("the demo brand has no order to hang lots on")
        await conn.execute(
            """
            INSERT INTO production.lots (id, tenant_id, number, order_id, order_number, plant_id,
                customer_tenant_id, product_sku, quantity, gate, gate_changed_at, version,
                created_at, updated_at)
            SELECT uuidv7(), $1, 'HOT-' || g, $2, $3, $4, $5, 'GBX-DLX', 10, 'created', now(),
                   1, now(), now()
            FROM generate_series(1, $6) g
            """,
            order["tenant_id"],
            order["id"],
            order["number"],
            order["plant_id"],
            brand,
            n,
        )
        await conn.execute("ANALYZE production.lots")
        return uuid.UUID(str(order["tenant_id"]))
    finally:
        await conn.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- token verification micro-benchmark ----------------------------------------------------


async def _verify_cost(jwks_url: str, token: str, rounds: int = 300) -> tuple[float, float]:
    from libs.common.auth import JWKSCache, TokenVerifier

    jwks = JWKSCache(jwks_url)
    await jwks.refresh()
    verifier = TokenVerifier(jwks, issuer="https://identity.weft.local", audience="weft")
    await verifier.verify(token)
    start = time.perf_counter()
    for _ in range(rounds):
        await verifier._verify(token)  # the full check: header, key, ES256 signature, claims
    uncached = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for _ in range(rounds * 100):
        await verifier.verify(token)  # cache hit until the token expires
    cached = (time.perf_counter() - start) / (rounds * 100)
    return uncached, cached


async def _argon2_parameters(dsn: str) -> str:
    import argon2

    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchval(
            "SELECT password_hash FROM identity.users WHERE email = $1 AND password_hash IS NOT NULL "
            "LIMIT 1",
            "admin@paco.example",
        )
    finally:
        await conn.close()
    p = argon2.extract_parameters(stored)
    return (
        f"{p.type.name.lower()} v={p.version} time_cost={p.time_cost} "
        f"memory_cost={p.memory_cost} KiB parallelism={p.parallelism}"
    )


# --- the run -------------------------------------------------------------------------------


def _row(name: str, r: dict[str, Any]) -> str:
    other = {k: v for k, v in r["statuses"].items() if str(k) != "200"}
    extra = f"  non-200: {other}" if other else ""
    return (
        f"  {name:<22} {r['rps']:>9.0f} req/s   p50 {r['p50_ms']:>7.2f} ms   "
        f"p95 {r['p95_ms']:>7.2f} ms   ({r['requests']} requests){extra}"
    )


def _compare(
    title: str,
    targets: list[tuple[str, str, dict[str, str]]],
    concurrency: int,
    duration: float,
) -> dict[str, dict[str, Any]]:
    """`targets` (name, url, headers) in alternating rounds (noise on the machine hits all
    of them); prints each and the ratio of each to the one before it."""
    print(f"\n{title}", flush=True)
    rounds = 2
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in targets}
    for _ in range(rounds):
        for name, url, headers in targets:
            runs[name].append(
                measure(url, headers, concurrency=concurrency, duration=duration / rounds)
            )
    results = {name: combine(done) for name, done in runs.items()}
    for name, _, _ in targets:
        print(_row(name, results[name]))
    for (below, _, _), (name, _, _) in itertools.pairwise(targets):
        a, b = results[below], results[name]
        ratio = b["rps"] / a["rps"] if a["rps"] else float("nan")
        print(
            f"  {name} / {below}: throughput ratio {ratio:.2f}; "
            f"p50 delta {b['p50_ms'] - a['p50_ms']:+.2f} ms, "
            f"p95 delta {b['p95_ms'] - a['p95_ms']:+.2f} ms",
            flush=True,
        )
    return results


def run(duration: float = DEFAULT_DURATION, concurrency: int = DEFAULT_CONCURRENCY) -> None:
    from tools.run import bring_up
    from tools.seed import DEMO_PASSWORD
    from tools.stack import make_stack

    with tempfile.TemporaryDirectory(prefix="weft-bench-") as tmp:
        stack = make_stack(Path(tmp), fixed_ports=False)
        base_gateway_env = stack.gateway_env

        def gateway_env() -> dict[str, str]:
            # measure forwarding, not the limiter refusing the load generator
            return {**base_gateway_env(), "WEFT_GATEWAY_RATE_LIMIT_ENABLED": "false"}

        stack.gateway_env = gateway_env  # type: ignore[method-assign]
        t0 = time.perf_counter()
        try:
            bring_up(stack, seed=True)
            print(f"stack up and seeded in {time.perf_counter() - t0:.1f} s", flush=True)
            identity = stack.service_url("identity")
            login_body = {
                "email": "admin@paco.example",
                "password": DEMO_PASSWORD,
                "tenant": "paco",
            }
            resp = httpx.post(f"{identity}/auth/login", json=login_body, timeout=30)
            resp.raise_for_status()
            token, tid = resp.json()["access_token"], resp.json()["tenant_id"]
            auth = {"Authorization": f"Bearer {token}"}

            brand_login = {
                "email": "viewer@luxurybrandx.example",
                "password": DEMO_PASSWORD,
                "tenant": "luxury-brand-x",
            }
            resp = httpx.post(f"{identity}/auth/login", json=brand_login, timeout=30)
            resp.raise_for_status()
            brand = uuid.UUID(resp.json()["tenant_id"])
            brand_auth = {"Authorization": f"Bearer {resp.json()['access_token']}"}
            provider = asyncio.run(_brand_lots(stack.admin_dsn(), brand, 200))

            floor_port = _free_port()
            floor = start_floor(stack, floor_port, Path(tmp) / "floor.log")
            stack.procs["floor"] = floor  # stopped with the stack
            floor_url = f"http://127.0.0.1:{floor_port}"
            production = stack.service_url("production")
            one_row = [
                ("floor (asyncpg)", f"{floor_url}/tenants/{tid}", {"X-Tenant": tid}),
                ("identity", f"{identity}/tenants/{tid}", auth),
                ("via the gateway", f"{stack.gateway_url}/v1/identity/tenants/{tid}", auth),
            ]
            lots = [
                (
                    "floor (asyncpg)",
                    f"{floor_url}/lots?limit=50",
                    {"X-Tenant": str(brand), "X-Parent-Tenant": str(provider)},
                ),
                ("production", f"{production}/lots?limit=50", brand_auth),
                ("via the gateway", f"{stack.gateway_url}/v1/production/lots?limit=50", brand_auth),
            ]
            for _, url, headers in one_row + lots:
                check = httpx.get(url, headers=headers, timeout=10)
                if check.status_code != 200:
                    raise RuntimeError(f"GET {url}: {check.status_code} {check.text}")
                if "/lots" in url and len(check.json()["items"]) != 50:
                    raise RuntimeError(f"GET {url}: not a full page of 50")

            print(f"\nload generator: {generator()}, {concurrency} connections", flush=True)
            _compare(
                f"GET /tenants/{{id}} (one row by primary key), {duration:.0f} s each "
                "(alternating rounds, 1 s warm-up each):",
                one_row,
                concurrency,
                duration,
            )
            _compare(
                f"GET /lots?limit=50 (a brand's first page, CLIENT token), {duration:.0f} s "
                "each (alternating rounds, 1 s warm-up each):",
                lots,
                concurrency,
                duration,
            )
            _compare(
                f"GET /healthz (no database: the gateway's own ceiling), "
                f"{duration / 2:.0f} s each:",
                [
                    ("identity", f"{identity}/healthz", {}),
                    ("via the gateway", f"{stack.gateway_url}/v1/identity/healthz", {}),
                ],
                concurrency,
                duration / 2,
            )

            params = asyncio.run(_argon2_parameters(stack.admin_dsn()))
            login_seconds = min(5.0, duration)
            # one user per worker: concurrent logins of one user contend on its row
            users = ("admin", "ops", "operator", "inspector")
            logins = summarize(
                [
                    run_load(
                        f"{identity}/auth/login",
                        {"Content-Type": "application/json"},
                        concurrency=len(users),
                        duration=login_seconds,
                        method="POST",
                        bodies=[
                            json.dumps({**login_body, "email": f"{u}@paco.example"}) for u in users
                        ],
                    )
                ]
            )
            print(
                f"\nPOST /auth/login (argon2 {params}), {len(users)} users in parallel, "
                f"{login_seconds:.0f} s:"
            )
            print(_row("login", logins))

            uncached, cached = asyncio.run(_verify_cost(f"{identity}/.well-known/jwks.json", token))
            print("\nJWT verification (libs.common.auth.TokenVerifier, ES256):")
            print(f"  full verification      {uncached * 1e6:>9.1f} us per token")
            print(f"  cached (same token)    {cached * 1e6:>9.2f} us per request")
        finally:
            stack.stop()


def main() -> None:
    run()


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        _load_main(sys.argv[2:])
    else:
        cli = argparse.ArgumentParser(description=__doc__)
        cli.add_argument("--duration", type=float, default=DEFAULT_DURATION)
        cli.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
        a = cli.parse_args()
        run(a.duration, a.concurrency)
