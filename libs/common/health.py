"""`/healthz` (the process answers), `/readyz` (the database answers) and `/metrics` (the
kit's counters, Prometheus text, for a scraper inside the cluster: not in the API document,
and behind a token at the gateway like any service path)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import text

from libs.common.errors import ServiceUnavailable, errors
from libs.common.replay import metrics_text


class NotReady(ServiceUnavailable):
    code, title = "not_ready", "Not ready"


router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="The process can reach its database",
    responses=errors(NotReady),
)
async def readyz(request: Request) -> dict[str, str]:
    try:
        async with request.app.state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise NotReady("Database unreachable") from exc
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        metrics_text(request.app), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
