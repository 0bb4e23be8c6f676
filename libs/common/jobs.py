"""Background jobs on procrastinate, in the service's own schema: named, retried, scheduled,
with progress a user can read.

A service declares its jobs on a `JobRegistry` at import time and hands the registry to
`create_service_app(jobs=...)`; the app factory then runs a `JobRunner` inside the service
process: it creates procrastinate's tables and functions (and the kit's `jobs` table) in the
service schema if they are missing, and runs a procrastinate worker on the service's own
queue (the schema name). No broker: Postgres `FOR UPDATE SKIP LOCKED` hands each job to one
worker, `LISTEN/NOTIFY` wakes the worker at commit, several replicas share the queue.

    registry = JobRegistry()

    @registry.job("quality.render_report", retries=5)
    async def render_report(ctx: JobContext, *, report_id: str) -> dict[str, str]:
        await ctx.progress(1, 3, "collecting results")
        async with ctx.transaction() as session:   # the job's tenant, RLS on
            ...
        return {"url": ...}                         # readable as the job's result

    @registry.periodic("quality.escalate_overdue", cron="*/5 * * * *")
    async def escalate_overdue(ctx: JobContext) -> None: ...

    # in a service, inside the request's transaction:
    job_id = await render_report.defer(session, tenant_id=principal.tenant_id, report_id=...)
    # job_id is a UUID; where the user waits: get_job(session, tenant_id, job_id) (raise
    # JobNotFound on None) / list_jobs(session, tenant_id, page)

`defer` writes the job in the request's own transaction (through procrastinate's SQL
function `procrastinate_defer_jobs_v1`), like the outbox: the job exists if and only if the
change that asked for it commits, its id can go back in the response (202 + a job URL), and
the worker is woken by the NOTIFY that procrastinate's insert trigger raises at commit.
Arguments are JSON: pass ids, not objects; the job reads what it needs in its own
transaction. Jobs run at least once: make them idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import importlib.resources
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import procrastinate
from procrastinate import JobContext as ProcrastinateContext
from procrastinate import PsycopgConnector, RetryStrategy
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from libs.common.db import Database, rls_policy_sql
from libs.common.errors import NotFound
from libs.common.ids import new_id
from libs.common.pagination import PageParams, decode_cursor, encode_cursor

log = logging.getLogger("weft.jobs")

JobFunction = Callable[..., Awaitable[Any]]
_TENANT_ARG = "_weft_tenant_id"
_JOB_ARG = "_weft_job_id"
_PROCRASTINATE_VERSION = importlib.metadata.version("procrastinate")
_SCHEMA_MARK = "weft: procrastinate "

# Job status a client sees, from procrastinate's own status and attempt count.
STATUS_SQL = """
    CASE p.status::text
        WHEN 'todo' THEN CASE WHEN p.attempts > 0 THEN 'retrying' ELSE 'queued' END
        WHEN 'doing' THEN 'running'
        WHEN 'succeeded' THEN 'succeeded'
        WHEN 'failed' THEN 'failed'
        WHEN 'cancelled' THEN 'cancelled'
        WHEN 'aborted' THEN 'cancelled'
        WHEN 'aborting' THEN 'running'
        ELSE 'unknown'
    END
"""


class JobStatus(BaseModel):
    """What a user waiting for a job reads (`GET .../jobs/{id}`)."""

    id: uuid.UUID
    task: str
    status: str  # queued, running, retrying, succeeded, failed, cancelled
    attempts: int
    progress_done: int
    progress_total: int | None
    message: str | None
    result: Any = None
    error: str | None
    created_at: datetime
    updated_at: datetime


# --- declaring jobs -------------------------------------------------------------------


@dataclass
class Job:
    """A declared job. `defer` enqueues it in the caller's transaction."""

    name: str
    fn: JobFunction
    retries: int
    backoff: int
    cron: str | None = None

    async def defer(
        self,
        session: AsyncSession,
        *,
        tenant_id: uuid.UUID | None,
        queueing_lock: str | None = None,
        run_at: datetime | None = None,
        **kwargs: Any,
    ) -> uuid.UUID:
        """Enqueue this job in `session`'s transaction; returns the job's id.

        The job is visible to the worker at commit, and never if the transaction rolls back.
        `tenant_id` is the tenant the job acts for (its transactions set it; its progress is
        readable by that tenant only); None for system work (readable in system sessions). `queueing_lock`: at most one
        queued job with this lock at a time (a second defer raises `JobAlreadyQueued`).
        """
        queue = await _queue_of(session)
        public_id = new_id()
        args = dict(kwargs)
        args[_JOB_ARG] = str(public_id)
        if tenant_id is not None:
            args[_TENANT_ARG] = str(tenant_id)
        try:
            async with session.begin_nested():
                queued_id = (
                    await session.execute(
                        _DEFER,
                        {
                            "queue": queue,
                            "task": self.name,
                            "lock": None,
                            "queueing_lock": queueing_lock,
                            "args": orjson.dumps(args).decode(),
                            "scheduled_at": run_at,
                        },
                    )
                ).scalar_one()
        except Exception as exc:
            if "procrastinate_jobs_queueing_lock_idx" in str(exc):
                raise JobAlreadyQueued(self.name, queueing_lock) from None
            raise
        await session.execute(
            _INSERT_JOB,
            {"id": public_id, "job_id": queued_id, "tenant_id": tenant_id, "task": self.name},
        )
        return public_id

    async def __call__(self, ctx: JobContext, **kwargs: Any) -> Any:
        return await self.fn(ctx, **kwargs)


class JobNotFound(NotFound):
    """For a service's `GET .../jobs/{id}`: no such job for this tenant."""

    code, title = "job_not_found", "Job not found"


class JobAlreadyQueued(Exception):
    def __init__(self, task: str, lock: str | None) -> None:
        super().__init__(f"a {task} job with queueing lock {lock!r} is already queued")


class JobRegistry:
    """A service's job declarations, made at import time, bound to a runner at start-up."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def job(
        self,
        name: str,
        *,
        retries: int = 3,
        backoff: int = 2,
    ) -> Callable[[JobFunction], Job]:
        """Declare a job named `name` (stable: it is stored in queued rows), retried up to
        `retries` times after a failure, waiting `backoff ** n` seconds before retry n
        (2: 2, 4, 8, 16 s; 0: at once)."""

        def decorator(fn: JobFunction) -> Job:
            if name in self.jobs:
                raise ValueError(f"job {name!r} declared twice")
            job = Job(
                name=name,
                fn=fn,
                retries=retries,
                backoff=backoff,
            )
            self.jobs[name] = job
            return job

        return decorator

    def periodic(
        self, name: str, *, cron: str, retries: int = 0, backoff: int = 2
    ) -> Callable[[JobFunction], Job]:
        """Declare a system job run on a cron schedule (5 fields, or 6 with seconds last).

        Every replica's worker schedules it; procrastinate defers each tick once.
        """

        def decorator(fn: JobFunction) -> Job:
            job = self.job(name, retries=retries, backoff=backoff)(fn)
            job.cron = cron
            return job

        return decorator

    @classmethod
    def combine(cls, *registries: JobRegistry) -> JobRegistry:
        out = cls()
        for registry in registries:
            for name, job in registry.jobs.items():
                if name in out.jobs:
                    raise ValueError(f"job {name!r} declared twice")
                out.jobs[name] = job
        return out


# --- inside a running job -------------------------------------------------------------


@dataclass
class JobContext:
    """What a job function gets: who it runs for, the database, progress reporting."""

    job_id: uuid.UUID | None  # None for a tick of a periodic job (no progress to read)
    task: str
    attempt: int  # 0 on the first run
    tenant_id: uuid.UUID | None
    db: Database
    state: Any  # the FastAPI app.state of the service (settings, storage, clients)
    retries: int = 0  # as declared: the job runs at most retries + 1 times

    @property
    def is_last_attempt(self) -> bool:
        """No retry follows if this run fails (record a final failure now)."""
        return self.attempt >= self.retries

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction as the job's tenant (RLS applies), or a system one for system jobs."""
        async with self.db.transaction(self.tenant_id, system=self.tenant_id is None) as s:
            yield s

    async def progress(
        self, done: int, total: int | None = None, message: str | None = None
    ) -> None:
        """Record progress, committed at once so a user polling the job sees it."""
        if self.job_id is None:
            return
        async with self.db.transaction(None, system=True) as s:
            await s.execute(
                _PROGRESS, {"id": self.job_id, "done": done, "total": total, "message": message}
            )


# --- the runner -----------------------------------------------------------------------


class JobRunner:
    """One service's procrastinate app and worker, on the service schema."""

    def __init__(
        self,
        registry: JobRegistry,
        db: Database,
        *,
        database_url: str,
        state: Any = None,
        concurrency: int = 2,
        poll_seconds: float = 5.0,
        worker: bool = True,
        schedules: dict[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.schedules = schedules or {}
        self.db = db
        self.schema = db.schema
        self.queue = db.schema
        self.state = state
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.run_worker = worker
        conninfo = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.app = procrastinate.App(
            connector=PsycopgConnector(
                conninfo=conninfo,
                min_size=1,
                max_size=concurrency + 2,
                kwargs={"options": f"-c search_path={self.schema}"},
            )
        )
        for job in registry.jobs.values():
            self._register(job)
        self._worker_task: asyncio.Task[None] | None = None
        self._opened = False

    def _register(self, job: Job) -> None:
        retry: RetryStrategy | bool = False
        if job.retries > 0:
            retry = RetryStrategy(max_attempts=job.retries, exponential_wait=job.backoff)
        runner = self

        async def run(pctx: ProcrastinateContext, **kwargs: Any) -> Any:
            return await runner._run(job, pctx, kwargs)

        task = self.app.task(name=job.name, queue=self.queue, retry=retry, pass_context=True)(run)
        cron = self.schedules.get(job.name, job.cron)
        if cron:  # an override of "" turns a schedule off
            # periodic jobs get the tick's `timestamp` as a keyword (dropped in _run)
            self.app.periodic(cron=cron, periodic_id=job.name)(task)  # type: ignore[arg-type]

    async def _run(self, job: Job, pctx: ProcrastinateContext, kwargs: dict[str, Any]) -> Any:
        if job.cron is not None:
            kwargs.pop("timestamp", None)  # procrastinate passes the tick to periodic jobs
        tenant = kwargs.pop(_TENANT_ARG, None)
        public = kwargs.pop(_JOB_ARG, None)
        job_id = uuid.UUID(public) if public else None
        ctx = JobContext(
            job_id=job_id,
            task=job.name,
            attempt=pctx.job.attempts,
            tenant_id=uuid.UUID(tenant) if tenant else None,
            db=self.db,
            state=self.state,
            retries=job.retries,
        )
        try:
            result = await job.fn(ctx, **kwargs)
        except Exception as exc:
            await self._record(job_id, error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        await self._record(job_id, result=result)
        return result

    async def _record(
        self, job_id: uuid.UUID | None, *, result: Any = None, error: str | None = None
    ) -> None:
        if job_id is None:
            return
        try:
            async with self.db.transaction(None, system=True) as s:
                await s.execute(
                    _FINISH,
                    {
                        "id": job_id,
                        "result": None if result is None else orjson.dumps(result).decode(),
                        "error": error,
                    },
                )
        except Exception:
            log.exception("could not record the outcome of job %s", job_id)

    async def start(self) -> None:
        await ensure_jobs_schema(self.db.engine, self.schema)
        if self.run_worker:
            await self.app.open_async()
            self._opened = True
            self._worker_task = asyncio.create_task(
                self.app.run_worker_async(
                    queues=[self.queue],
                    name=f"{self.schema}-worker",
                    concurrency=self.concurrency,
                    fetch_job_polling_interval=self.poll_seconds,
                    install_signal_handlers=False,
                    shutdown_graceful_timeout=5,
                ),
                name=f"jobs-{self.schema}",
            )

    async def stop(self) -> None:
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
            self._worker_task = None
        if self._opened:
            await self.app.close_async()
            self._opened = False


# --- reading jobs -----------------------------------------------------------------------


async def get_job(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID
) -> JobStatus | None:
    """The job, if it is the tenant's (the `jobs` row is under row-level security too)."""
    row = (
        (await session.execute(_SELECT.bindparams(tenant_id=tenant_id), {"id": job_id}))
        .mappings()
        .first()
    )
    return JobStatus(**row) if row else None


async def list_jobs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    params: PageParams,
    *,
    task: str | None = None,
) -> tuple[list[JobStatus], str | None]:
    """The tenant's jobs, newest first, one keyset page at a time."""
    before = decode_cursor(params.cursor, [uuid.UUID])[0] if params.cursor else None
    rows = (
        (
            await session.execute(
                _LIST,
                {
                    "tenant_id": tenant_id,
                    "task": task,
                    "before": before,
                    "limit": params.limit + 1,
                },
            )
        )
        .mappings()
        .all()
    )
    items = [JobStatus(**r) for r in rows[: params.limit]]
    next_cursor = encode_cursor([items[-1].id]) if len(rows) > params.limit else None
    return items, next_cursor


# --- schema -------------------------------------------------------------------------------


async def ensure_jobs_schema(engine: AsyncEngine, schema: str) -> None:
    """Create procrastinate's objects and the kit's `jobs` table in `schema`, or bring them
    up to the installed procrastinate version. Idempotent; replicas starting at once wait
    on an advisory lock. Runs as the service's own role (which owns its schema)."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        async with raw.transaction():
            await raw.execute(f'SET LOCAL search_path TO "{schema}"')
            await raw.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"weft.jobs.{schema}")
            await _ensure_procrastinate(raw, schema)
            await _ensure_jobs_table(raw, schema)
        await conn.close()


async def _ensure_jobs_table(raw: Any, schema: str) -> None:
    if await raw.fetchval("SELECT to_regclass('jobs') IS NOT NULL"):
        comment = await raw.fetchval("SELECT obj_description('jobs'::regclass)")
        if comment == _JOBS_MARK:
            return
        # the first shape (bigint ids, one hour on main before any release): progress only
        log.warning("replacing the jobs table of an older kit", extra={"schema": schema})
        await raw.execute("DROP TABLE jobs")
    await raw.execute(_CREATE_JOBS)
    for stmt in rls_policy_sql(schema, "jobs"):
        await raw.execute(stmt)
    await raw.execute(f"COMMENT ON TABLE jobs IS '{_JOBS_MARK}'")


async def _ensure_procrastinate(raw: Any, schema: str) -> None:
    sql_dir = importlib.resources.files("procrastinate.sql")
    mark = f"{_SCHEMA_MARK}{_PROCRASTINATE_VERSION}"
    if not await raw.fetchval("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"):
        await raw.execute(sql_dir.joinpath("schema.sql").read_text())
        await raw.execute(f"COMMENT ON TABLE procrastinate_jobs IS '{mark}'")
        log.info("procrastinate schema created", extra={"schema": schema})
        return
    comment = await raw.fetchval("SELECT obj_description('procrastinate_jobs'::regclass)") or ""
    if comment == mark:
        return
    have = _version(comment.removeprefix(_SCHEMA_MARK) or "0")
    want = _version(_PROCRASTINATE_VERSION)
    for entry in sorted(sql_dir.joinpath("migrations").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".sql"):
            continue
        version = _version(entry.name.split("_", 1)[0])
        if have < version <= want:
            log.info("procrastinate migration %s in %s", entry.name, schema)
            await raw.execute(entry.read_text())
    await raw.execute(f"COMMENT ON TABLE procrastinate_jobs IS '{mark}'")


def _version(text_: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text_.replace("-", ".").split(".")[:3] if p.isdigit())


async def _queue_of(session: AsyncSession) -> str:
    # The queue is the schema: each service's worker listens to its own queue only.
    return str((await session.execute(text("SELECT current_schema()"))).scalar_one())


_JOBS_MARK = "weft: jobs v2"
_CREATE_JOBS = """
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    job_id bigint NOT NULL UNIQUE,
    tenant_id uuid,
    task text NOT NULL,
    progress_done integer NOT NULL DEFAULT 0,
    progress_total integer,
    message text,
    result jsonb,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_jobs_tenant ON jobs (tenant_id, id DESC);
"""
_DEFER = text(
    """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
        ROW(:queue, :task, 0, :lock, :queueing_lock, CAST(:args AS jsonb),
            CAST(:scheduled_at AS timestamptz))
    ]::procrastinate_job_to_defer_v1[]))
    """
)
_INSERT_JOB = text(
    "INSERT INTO jobs (id, job_id, tenant_id, task) VALUES (:id, :job_id, :tenant_id, :task)"
)
_PROGRESS = text(
    "UPDATE jobs SET progress_done = :done, progress_total = COALESCE(:total, progress_total), "
    "message = COALESCE(:message, message), updated_at = now() WHERE id = :id"
)
_FINISH = text(
    "UPDATE jobs SET result = COALESCE(CAST(:result AS jsonb), result), error = :error, "
    "updated_at = now() WHERE id = :id"
)
_COLUMNS = f"""
    j.id, j.task, {STATUS_SQL} AS status, COALESCE(p.attempts, 0) AS attempts,
    j.progress_done, j.progress_total, j.message, j.result, j.error, j.created_at,
    j.updated_at
"""
_SELECT = text(
    f"SELECT {_COLUMNS} FROM jobs j LEFT JOIN procrastinate_jobs p ON p.id = j.job_id "
    "WHERE j.id = :id AND j.tenant_id = :tenant_id"
)
_LIST = text(
    f"SELECT {_COLUMNS} FROM jobs j LEFT JOIN procrastinate_jobs p ON p.id = j.job_id "
    "WHERE j.tenant_id = :tenant_id "
    "AND (CAST(:task AS text) IS NULL OR j.task = :task) "
    "AND (CAST(:before AS uuid) IS NULL OR j.id < :before) "
    "ORDER BY j.id DESC LIMIT :limit"
)


__all__ = [
    "Job",
    "JobAlreadyQueued",
    "JobContext",
    "JobNotFound",
    "JobRegistry",
    "JobRunner",
    "JobStatus",
    "ensure_jobs_schema",
    "get_job",
    "list_jobs",
]
