"""POST /internal/events: signed outbox batches from the relays of every service."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from libs.common.errors import Unprocessable, problem_responses
from services.sync.ingest.schemas import EventBatch, IngestResult
from services.sync.ingest.service import ingest_batch
from services.sync.internal_auth import verified_body

log = logging.getLogger("weft.sync.ingest")

router = APIRouter(tags=["internal"])


@router.post(
    "/internal/events",
    response_model=IngestResult,
    summary="Ingest a signed batch of events from a service's outbox (service to service only)",
    responses=problem_responses(401, 422),
)
async def ingest_events(
    request: Request,
    x_weft_service: Annotated[str, Header(description="Name of the sending service")],
) -> IngestResult:
    body = await verified_body(request, x_weft_service)
    try:
        batch = EventBatch.model_validate_json(body)
    except ValidationError as exc:
        raise Unprocessable(
            "The batch is not valid",
            code="invalid_batch",
            extra={
                "errors": exc.errors(include_url=False, include_input=False, include_context=False)
            },
        ) from None
    events = [e.model_dump() for e in batch.events]
    fresh, deliveries = await ingest_batch(request.app.state.db, events, source=x_weft_service)
    if deliveries:
        request.app.state.worker.wake()
    if fresh < len(events):
        # a relay sent again what sync had already stored (its acknowledgement was lost)
        log.info(
            "duplicate events ignored",
            extra={"sender": x_weft_service, "duplicates": len(events) - fresh},
        )
    return IngestResult(accepted=fresh, duplicates=len(events) - fresh, deliveries=deliveries)
