"""The `catalog.import` job: applies a stored import, with progress a user can read."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.jobs import JobContext
from services.catalog.jobs import jobs
from services.catalog.transfer import importer


@jobs.job("catalog.import", retries=2)
async def run_import(ctx: JobContext, *, import_id: str) -> dict[str, Any]:
    assert ctx.tenant_id is not None

    async def progress(done: int, total: int, message: str) -> None:
        await ctx.progress(done, total, message)

    return await importer.run(ctx.db, ctx.tenant_id, uuid.UUID(import_id), progress)
