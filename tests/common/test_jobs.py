"""The kit's job runner on real PostgreSQL, in a schema owned by its own role (as a service)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from libs.common.db import Database
from libs.common.jobs import (
    JobAlreadyQueued,
    JobContext,
    JobRegistry,
    JobRunner,
    JobStatus,
    ensure_jobs_schema,
    get_job,
    list_jobs,
)
from libs.common.pagination import PageParams
from tests.fixtures.database import SchemaFactory, ScratchSchema

RunnerFactory = Callable[[JobRegistry], Awaitable[tuple[JobRunner, Database]]]


@pytest.fixture
async def schema(scratch_schema: SchemaFactory) -> ScratchSchema:
    return await scratch_schema()


@pytest.fixture
async def runner_for(schema: ScratchSchema) -> AsyncIterator[RunnerFactory]:
    started: list[tuple[JobRunner, Database]] = []

    async def make(registry: JobRegistry) -> tuple[JobRunner, Database]:
        db = Database(schema.url, schema=schema.schema, pool_size=2)
        runner = JobRunner(registry, db, database_url=schema.url, poll_seconds=0.2)
        await runner.start()
        started.append((runner, db))
        return runner, db

    yield make
    for runner, db in started:
        await runner.stop()
        await db.dispose()


async def wait_for(
    db: Database, tenant: uuid.UUID, job_id: uuid.UUID, pred: Callable[[JobStatus], bool]
) -> JobStatus:
    deadline = time.monotonic() + 15
    last: JobStatus | None = None
    while time.monotonic() < deadline:
        async with db.transaction(tenant) as s:
            last = await get_job(s, tenant, job_id)
        if last is not None and pred(last):
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there; last seen {last}")


async def test_schema_is_created_in_the_service_schema_by_its_own_role(
    schema: ScratchSchema, database: Any
) -> None:
    db = Database(schema.url, schema=schema.schema)
    try:
        await ensure_jobs_schema(db.engine, schema.schema)
        await ensure_jobs_schema(db.engine, schema.schema)  # idempotent
    finally:
        await db.dispose()
    conn = await asyncpg.connect(database.admin_dsn())
    try:
        tables = {
            (r["schemaname"], r["tablename"])
            for r in await conn.fetch(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE tablename LIKE 'procrastinate%' OR tablename = 'jobs'"
            )
        }
        functions = await conn.fetch(
            "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'procrastinate_defer_jobs_v1'"
        )
    finally:
        await conn.close()
    mine = {t for s, t in tables if s == schema.schema}
    assert {"procrastinate_jobs", "procrastinate_periodic_defers", "jobs"} <= mine
    assert not any(s == "public" for s, _ in tables)
    assert schema.schema in {r["nspname"] for r in functions}


async def test_a_deferred_job_runs_after_commit_and_its_result_is_readable(
    runner_for: RunnerFactory,
) -> None:
    registry = JobRegistry()
    seen: list[tuple[str, uuid.UUID | None, str]] = []

    @registry.job("test.greet")
    async def greet(ctx: JobContext, *, name: str) -> dict[str, str]:
        async with ctx.transaction() as s:
            setting = (
                await s.execute(text("SELECT current_setting('weft.tenant_id', true)"))
            ).scalar_one()
        seen.append((name, ctx.tenant_id, setting))
        return {"greeting": f"hello {name}"}

    _, db = await runner_for(registry)
    tenant = uuid.uuid4()
    async with db.transaction(tenant) as s:
        job_id = await greet.defer(s, tenant_id=tenant, name="ada")
        queued = await get_job(s, tenant, job_id)
        assert queued is not None and queued.status == "queued"
    done = await wait_for(db, tenant, job_id, lambda j: j.status == "succeeded")
    assert done.result == {"greeting": "hello ada"}
    assert done.task == "test.greet" and done.attempts == 1 and done.error is None
    assert seen == [("ada", tenant, str(tenant))]  # ran once, as the tenant


async def test_a_job_deferred_in_a_rolled_back_transaction_never_runs(
    runner_for: RunnerFactory,
) -> None:
    registry = JobRegistry()
    ran: list[str] = []

    @registry.job("test.never")
    async def never(ctx: JobContext) -> None:
        ran.append("never")

    @registry.job("test.marker")
    async def marker(ctx: JobContext) -> None:
        ran.append("marker")

    _, db = await runner_for(registry)
    tenant = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with db.transaction(tenant) as s:
            await never.defer(s, tenant_id=tenant)
            raise RuntimeError("the request failed")
    async with db.transaction(tenant) as s:
        marker_id = await marker.defer(s, tenant_id=tenant)
    await wait_for(db, tenant, marker_id, lambda j: j.status == "succeeded")
    assert ran == ["marker"]
    async with db.transaction(tenant) as s:
        items, _ = await list_jobs(s, tenant, PageParams(limit=10))
    assert [j.task for j in items] == ["test.marker"]


async def test_a_failed_job_is_retried_and_records_the_error_until_it_succeeds(
    runner_for: RunnerFactory,
) -> None:
    registry = JobRegistry()
    attempts: list[int] = []
    last: list[bool] = []

    @registry.job("test.flaky", retries=2, backoff=0)
    async def flaky(ctx: JobContext) -> str:
        attempts.append(ctx.attempt)
        last.append(ctx.is_last_attempt)
        if len(attempts) < 3:
            raise ConnectionError(f"upstream down (try {len(attempts)})")
        return "ok"

    @registry.job("test.broken", retries=1, backoff=0)
    async def broken(ctx: JobContext) -> None:
        raise ValueError("bad input")

    _, db = await runner_for(registry)
    tenant = uuid.uuid4()
    async with db.transaction(tenant) as s:
        flaky_id = await flaky.defer(s, tenant_id=tenant)
        broken_id = await broken.defer(s, tenant_id=tenant)
    done = await wait_for(db, tenant, flaky_id, lambda j: j.status == "succeeded")
    assert attempts == [0, 1, 2]
    assert last == [False, False, True]  # retries=2: three runs, the third is the last
    assert done.attempts == 3 and done.result == "ok" and done.error is None
    failed = await wait_for(db, tenant, broken_id, lambda j: j.status == "failed")
    assert failed.attempts == 2  # one run and one retry, then it gives up
    assert failed.error == "ValueError: bad input"


async def test_progress_is_readable_while_the_job_runs_and_only_by_its_tenant(
    runner_for: RunnerFactory,
) -> None:
    registry = JobRegistry()
    release = asyncio.Event()

    @registry.job("test.report")
    async def report(ctx: JobContext, *, pages: int) -> None:
        await ctx.progress(1, pages, "rendering page 1")
        await release.wait()
        await ctx.progress(pages, message="done")

    _, db = await runner_for(registry)
    tenant, other = uuid.uuid4(), uuid.uuid4()
    async with db.transaction(tenant) as s:
        job_id = await report.defer(s, tenant_id=tenant, pages=3)
    running = await wait_for(db, tenant, job_id, lambda j: j.progress_done == 1)
    assert running.status == "running"
    assert (running.progress_total, running.message) == (3, "rendering page 1")
    async with db.transaction(other) as s:
        assert await get_job(s, other, job_id) is None
        # the row-level policy hides it even from a query that forgets the tenant filter
        assert (await s.execute(text("SELECT count(*) FROM jobs"))).scalar_one() == 0
    release.set()
    done = await wait_for(db, tenant, job_id, lambda j: j.status == "succeeded")
    assert (done.progress_done, done.progress_total, done.message) == (3, 3, "done")


async def test_queueing_lock_keeps_one_queued_job(runner_for: RunnerFactory) -> None:
    registry = JobRegistry()

    @registry.job("test.rebuild")
    async def rebuild(ctx: JobContext) -> None:
        return None

    runner, db = await runner_for(registry)
    await runner.stop()  # nothing runs: both defers meet a queued job
    runner.run_worker = False
    await runner.start()
    tenant = uuid.uuid4()
    async with db.transaction(tenant) as s:
        await rebuild.defer(s, tenant_id=tenant, queueing_lock="index")
        with pytest.raises(JobAlreadyQueued):
            await rebuild.defer(s, tenant_id=tenant, queueing_lock="index")
        # the failed defer left the transaction usable
        items, _ = await list_jobs(s, tenant, PageParams(limit=10))
        assert len(items) == 1


async def test_a_periodic_job_fires_on_its_schedule(runner_for: RunnerFactory) -> None:
    registry = JobRegistry()
    ticks: list[tuple[uuid.UUID | None, float]] = []
    two = asyncio.Event()

    @registry.periodic("test.tick", cron="* * * * * *")  # every second
    async def tick(ctx: JobContext) -> None:
        async with ctx.transaction() as s:  # a system transaction: no tenant
            flag = (await s.execute(text("SELECT current_setting('weft.system')"))).scalar_one()
        assert flag == "on"
        ticks.append((ctx.tenant_id, time.monotonic()))
        if len(ticks) >= 2:
            two.set()

    await runner_for(registry)
    await asyncio.wait_for(two.wait(), 10)
    assert ticks[1][1] - ticks[0][1] > 0.5  # two ticks, not one job run twice
    assert all(t is None for t, _ in ticks)


async def test_list_jobs_pages_newest_first(runner_for: RunnerFactory) -> None:
    registry = JobRegistry()

    @registry.job("test.noop")
    async def noop(ctx: JobContext, *, n: int) -> int:
        return n

    _, db = await runner_for(registry)
    tenant = uuid.uuid4()
    async with db.transaction(tenant) as s:
        ids = [await noop.defer(s, tenant_id=tenant, n=n) for n in range(5)]
    seen: list[uuid.UUID] = []
    cursor = None
    async with db.transaction(tenant) as s:
        while True:
            items, cursor = await list_jobs(s, tenant, PageParams(limit=2, cursor=cursor))
            seen += [j.id for j in items]
            if cursor is None:
                break
    assert seen == sorted(ids, reverse=True)  # UUIDv7: newest first
    assert all(isinstance(i, uuid.UUID) for i in ids)


async def test_a_jobs_table_of_the_first_shape_is_replaced(schema: ScratchSchema) -> None:
    db = Database(schema.url, schema=schema.schema)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE jobs (id bigint PRIMARY KEY, task text)"))
        await ensure_jobs_schema(db.engine, schema.schema)
        async with db.engine.connect() as conn:
            columns = set(
                (
                    await conn.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = :s AND table_name = 'jobs'"
                        ),
                        {"s": schema.schema},
                    )
                ).scalars()
            )
    finally:
        await db.dispose()
    assert {"id", "job_id", "tenant_id", "progress_done"} <= columns
