"""Signed deliveries from sync (internal; see subscriptions.py for what arrives here)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from libs.common.errors import Unauthorized, problem_responses
from libs.common.webhooks import WebhookVerificationError, verify
from libs.contracts import parse_event
from services.quality.intake.schemas import IntakeResult
from services.quality.intake.service import handle_event
from services.quality.intake.subscriptions import LOTS_PATH

router = APIRouter(tags=["internal"])


@router.post(
    LOTS_PATH,
    response_model=IntakeResult,
    summary="Receive lot events from sync (Standard Webhooks, quality's own secret)",
    responses=problem_responses(401, 422),
)
async def receive_production_event(request: Request) -> IntakeResult:
    body = await request.body()
    secret = request.app.state.settings.service_secret
    try:
        verify([secret], request.headers, body)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    # 422 unknown_event_type / invalid_event when the body is not a declared event
    event = parse_event(body)
    return IntakeResult(status=await handle_event(request.app.state.db, event))
