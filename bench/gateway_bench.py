"""Gateway overhead, login rate and token verification cost, measured in one run.

    python -m bench.gateway_bench [--duration 10] [--concurrency 32]

Starts its own stack (temporary state, free ports, rate limits off in its gateway), logs in
as admin@paco.example, then load-tests `GET /tenants/{own tenant id}` (identity reads one
row) straight to identity and through the gateway, with the same concurrency and duration,
from a load generator in a separate process (aiohttp + uvloop). The machine is small and
shared: read the gateway/direct ratio and the p50 delta, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
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
        f"p99 {r['p99_ms']:>7.2f} ms   ({r['requests']} requests){extra}"
    )


def _compare(
    title: str,
    direct_url: str,
    gateway_url: str,
    headers: dict[str, str],
    concurrency: int,
    duration: float,
) -> None:
    """Direct vs through the gateway, in alternating rounds (noise on the machine hits both)."""
    print(f"\n{title}", flush=True)
    rounds = 2
    runs: dict[str, list[dict[str, Any]]] = {direct_url: [], gateway_url: []}
    for _ in range(rounds):
        for url, done in runs.items():
            done.append(run_load(url, headers, concurrency=concurrency, duration=duration / rounds))
    direct, via = summarize(runs[direct_url]), summarize(runs[gateway_url])
    print(_row("direct to identity", direct))
    print(_row("through the gateway", via))
    ratio = via["rps"] / direct["rps"] if direct["rps"] else float("nan")
    print(
        f"  gateway/direct throughput ratio {ratio:.2f}; "
        f"p50 delta {via['p50_ms'] - direct['p50_ms']:+.2f} ms, "
        f"p99 delta {via['p99_ms'] - direct['p99_ms']:+.2f} ms",
        flush=True,
    )


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

            direct_url = f"{identity}/tenants/{tid}"
            gateway_url = f"{stack.gateway_url}/v1/identity/tenants/{tid}"
            for url in (direct_url, gateway_url):
                check = httpx.get(url, headers=auth, timeout=10)
                if check.status_code != 200:
                    raise RuntimeError(f"GET {url}: {check.status_code} {check.text}")

            _compare(
                f"GET /tenants/{{id}} (identity reads one row), concurrency {concurrency}, "
                f"{duration:.0f} s each (alternating rounds, 1 s warm-up each):",
                direct_url,
                gateway_url,
                auth,
                concurrency,
                duration,
            )
            _compare(
                f"GET /healthz (no database: the gateway's own ceiling), "
                f"{duration / 2:.0f} s each:",
                f"{identity}/healthz",
                f"{stack.gateway_url}/v1/identity/healthz",
                {},
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
