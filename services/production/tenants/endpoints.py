"""Identity's tenant events, delivered and signed by sync with production's own secret
(internal: never exposed through the gateway; see subscriptions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from libs.common.errors import Unauthorized, errors
from libs.common.webhooks import WebhookVerificationError, verify
from libs.contracts import InvalidEvent, UnknownEventType, parse_event
from services.production.tenants import service
from services.production.tenants.schemas import IntakeResult
from services.production.tenants.subscriptions import TENANTS_PATH

router = APIRouter(tags=["internal"])


@router.post(
    TENANTS_PATH,
    response_model=IntakeResult,
    summary="Receive identity's tenant events from sync (Standard Webhooks, own secret)",
    responses=errors(401, UnknownEventType, InvalidEvent),
)
async def receive_identity_event(request: Request) -> IntakeResult:
    body = await request.body()
    secret = request.app.state.settings.service_secret
    try:
        verify([secret], request.headers, body)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    event = parse_event(body)
    kept = await service.record_event(request.app.state.db, event)
    return IntakeResult(status="recorded" if kept else "ignored")
