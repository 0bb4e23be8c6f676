"""Quality's background jobs on the kit's runner (procrastinate in the quality schema):
photo processing and report building. The work itself is plain functions
(photos.jobs, reports.jobs) of (database, store, id)."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.jobs import JobContext, JobRegistry
from services.quality.photos import jobs as photo_work
from services.quality.reports import jobs as report_work

registry = JobRegistry()
RETRIES = 3


@registry.job("quality.process_photo", retries=RETRIES, backoff=2)
async def process_photo(ctx: JobContext, *, photo_id: str) -> dict[str, Any]:
    """Strip EXIF (location included) and make the thumbnail of an uploaded photo."""
    await ctx.progress(0, 1, "processing")
    done = await photo_work.process_photo(ctx.db, ctx.state.evidence, uuid.UUID(photo_id))
    await ctx.progress(1, 1, "processed" if done else "nothing to do")
    return {"processed": done}


@registry.job("quality.build_report", retries=RETRIES, backoff=2)
async def build_report(ctx: JobContext, *, report_id: str) -> dict[str, Any]:
    """Render a lot's PDF (inspection report or photo book) and store it."""
    done = await report_work.build_report(
        ctx.db,
        ctx.state.evidence,
        uuid.UUID(report_id),
        final_attempt=ctx.attempt + 1 >= RETRIES,
    )
    return {"built": done}
