"""POST /internal/events/identity: identity's tenant events, delivered and signed by sync
with production's own secret (never exposed through the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from libs.common.errors import Unauthorized, Unprocessable, problem_responses
from libs.common.webhooks import WebhookVerificationError, verify
from services.production.tenants import service
from services.production.tenants.schemas import EventEnvelope, IntakeResult

router = APIRouter(tags=["internal"])


@router.post(
    "/internal/events/identity",
    response_model=IntakeResult,
    summary="Receive identity's tenant events from sync (Standard Webhooks, own secret)",
    responses=problem_responses(401, 422),
)
async def receive_identity_event(request: Request) -> IntakeResult:
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
    async with request.app.state.db.transaction(None, system=True) as session:
        kept = await service.apply_event(session, event)
    return IntakeResult(status="recorded" if kept else "ignored")
