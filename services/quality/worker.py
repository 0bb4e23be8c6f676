"""The background worker: processes uploaded photos and queued reports.

It lives in this process and claims work with SKIP LOCKED, so several replicas share it.
The work itself is plain functions (photos.jobs, reports.jobs), ready to move onto the
kit's job runner (libs.common.jobs) once it is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.quality.photos import jobs as photo_jobs
from services.quality.reports import jobs as report_jobs

log = logging.getLogger("weft.quality.worker")


async def run_once(app: FastAPI) -> int:
    db, store = app.state.db, app.state.evidence
    done = 0
    for photo_id in await photo_jobs.next_uploaded(db, store):
        done += await photo_jobs.process_photo(db, store, photo_id)
    for report_id in await report_jobs.next_queued(db, store):
        done += await report_jobs.build_report(db, store, report_id)
    return done


async def _loop(app: FastAPI) -> None:
    wake: asyncio.Event = app.state.worker_wake
    poll = app.state.settings.worker_poll_seconds
    while True:
        wake.clear()
        try:
            await run_once(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll)


def worker_lifespan(app: FastAPI) -> Any:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if app.state.settings.worker_enabled:
            task = asyncio.create_task(_loop(app), name="quality-worker")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan(app)
