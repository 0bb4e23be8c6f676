"""Sync's circuit breakers shared by replicas in Redis (WEFT_REDIS_URL), against a real
redis-server when one is installed."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from services.sync.config import Settings
from services.sync.delivery.shared_breaker import SharedBreakers
from tools.pg import free_port

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert REDIS is not None
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture
async def replicas(redis_url: str) -> AsyncIterator[tuple[SharedBreakers, SharedBreakers]]:
    prefix = f"test:{uuid.uuid4().hex}:"

    def replica() -> SharedBreakers:
        return SharedBreakers(
            Redis.from_url(redis_url), threshold=3, cooldown=0.4, trial_lease=5, prefix=prefix
        )

    pair = (replica(), replica())
    try:
        yield pair
    finally:
        for b in pair:
            await b.close()


@needs_redis
async def test_replicas_open_half_open_and_close_one_breaker(
    replicas: tuple[SharedBreakers, SharedBreakers],
) -> None:
    a, b = replicas
    ep = uuid.uuid4()
    await a.record(ep, False)
    await a.record(ep, False)
    assert await b.blocked() == (set(), set())
    await b.record(ep, False)  # the third failure, seen by another replica: open everywhere
    assert await a.blocked() == ({ep}, set())
    assert await b.blocked() == ({ep}, set())

    await asyncio.sleep(0.5)  # cooldown over: half-open, one trial for one replica
    assert await a.blocked() == (set(), {ep})
    assert await b.blocked() == ({ep}, set())
    await a.record(ep, False)  # the trial failed: open again for a cooldown
    assert await b.blocked() == ({ep}, set())

    await asyncio.sleep(0.5)
    assert await b.blocked() == (set(), {ep})
    await b.record(ep, True)  # the trial succeeded: closed everywhere
    assert await a.blocked() == (set(), set())
    assert await b.blocked() == (set(), set())


@needs_redis
async def test_a_success_resets_the_shared_count(
    replicas: tuple[SharedBreakers, SharedBreakers],
) -> None:
    a, b = replicas
    ep = uuid.uuid4()
    for replica in (a, b):
        await replica.record(ep, False)
    await a.record(ep, True)
    for replica in (a, b):
        await replica.record(ep, False)
    assert await a.blocked() == (set(), set())
    await b.record(ep, False)
    assert await a.blocked() == ({ep}, set())


def test_redis_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_REDIS_URL", raising=False)
    assert Settings().redis_url is None
    monkeypatch.setenv("WEFT_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Settings().redis_url == "redis://127.0.0.1:6379/0"
