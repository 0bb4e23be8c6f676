"""POST /internal/events: signed deliveries from sync (never reachable through the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from libs.common.errors import Unauthorized, Unprocessable, problem_responses
from libs.common.webhooks import WebhookVerificationError, verify
from services.quality.intake.schemas import EventEnvelope, IntakeResult
from services.quality.intake.service import handle_event

router = APIRouter(tags=["internal"])


async def _receive(request: Request) -> IntakeResult:
    body = await request.body()
    secret = request.app.state.settings.service_secret
    try:
        verify([secret], request.headers, body)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    try:
        event = EventEnvelope.model_validate_json(body)
    except ValidationError:
        raise Unprocessable("The event is not valid", code="invalid_event") from None
    return IntakeResult(status=await handle_event(request.app.state.db, event))  # type: ignore[arg-type]


@router.post(
    "/internal/events",
    response_model=IntakeResult,
    summary="Receive subscribed events from sync (Standard Webhooks, quality's own secret)",
    responses=problem_responses(401, 422),
)
async def receive_event(request: Request) -> IntakeResult:
    return await _receive(request)


@router.post(
    "/internal/events/production",
    response_model=IntakeResult,
    summary="The same, at the path sync's first subscription used",
    responses=problem_responses(401, 422),
)
async def receive_production_event(request: Request) -> IntakeResult:
    return await _receive(request)
