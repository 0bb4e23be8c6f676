"""Rate limits shared through Redis (WEFT_GATEWAY_REDIS_URL): N gateway replicas, one quota.

Runs against a real `redis-server` when one is installed (.ci/run installs it where it can).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.ratelimit import Policy, RedisRateLimiter
from tests.gateway.conftest import gateway_env
from tests.gateway.fakes import Backend, start_gateway
from tools.pg import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    work = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_two_limiters_share_one_quota(redis_url: str) -> None:
    policy = Policy("tenant", 5, 60)
    a, b = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    key = f"tenant:{uuid.uuid4()}"
    try:
        outcomes = [await (a if n % 2 else b).take([(policy, key)]) for n in range(6)]
        other = await a.take([(policy, f"tenant:{uuid.uuid4()}")])
    finally:
        await a.close()
        await b.close()
    assert [o.allowed for o in outcomes] == [True] * 5 + [False]
    assert [o.state_header.split(";")[1] for o in outcomes[:5]] == [
        "r=4",
        "r=3",
        "r=2",
        "r=1",
        "r=0",
    ]
    assert outcomes[5].headers()["Retry-After"] in {"12", "13"}  # one token per 12 s
    assert other.allowed  # another tenant's bucket is its own


async def test_a_refused_request_takes_from_no_bucket(redis_url: str) -> None:
    tenant, client = Policy("tenant", 10, 60), Policy("client", 1, 60)
    limiter = RedisRateLimiter(redis_url)
    t, c = f"tenant:{uuid.uuid4()}", f"client:{uuid.uuid4()}"
    try:
        first = await limiter.take([(tenant, t), (client, c)])
        second = await limiter.take([(tenant, t), (client, c)])  # the client bucket is empty
        alone = await limiter.take([(tenant, t)])
    finally:
        await limiter.close()
    assert first.allowed and not second.allowed
    assert alone.state_header.startswith('"tenant";r=8')  # 10 - first - this one


async def test_without_redis_a_replica_limits_on_its_own() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    policy, key = Policy("ip", 2, 60), "ip:198.51.100.7"
    try:
        allowed = [(await limiter.take([(policy, key)])).allowed for _ in range(3)]
    finally:
        await limiter.close()
    assert allowed == [True, True, False]


@pytest.fixture
async def replicas(
    backend: Backend, log_dir: Path, redis_url: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    env = gateway_env(backend, redis_url=redis_url, rate_limit_tenant=3)
    # one after the other: two cold starts at once can outlast the start-up wait on a busy box
    procs = [await start_gateway(env, log_dir), await start_gateway(env, log_dir)]
    clients = [httpx.AsyncClient(base_url=p.url, timeout=10) for p in procs]
    try:
        yield clients
    finally:
        for c in clients:
            await c.aclose()
        for p in procs:
            p.stop()


@pytest.mark.e2e
async def test_gateway_replicas_share_the_tenant_quota(
    replicas: list[httpx.AsyncClient], bearer: Any
) -> None:
    tid = str(uuid.uuid4())
    statuses = []
    for n in range(4):
        resp = await replicas[n % 2].get("/v1/production/orders", headers=bearer(tid=tid))
        statuses.append(resp.status_code)
    assert statuses == [200, 200, 200, 429]
    assert resp.headers["ratelimit"].startswith('"tenant";r=0;t=')
