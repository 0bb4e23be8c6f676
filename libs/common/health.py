"""`/healthz` (the process answers) and `/readyz` (the database answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from libs.common.errors import ServiceUnavailable, errors


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
