"""Catalog's organisation-link events, delivered and signed by sync with identity's own
secret (internal: never exposed through the gateway; see subscriptions.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from libs.common.errors import Unauthorized, errors
from libs.common.webhooks import WebhookVerificationError, verify
from libs.contracts import InvalidEvent, UnknownEventType, parse_event
from services.identity.orglinks import service
from services.identity.orglinks.subscriptions import CATALOG_PATH

router = APIRouter(tags=["internal"])


class IntakeResult(BaseModel):
    status: Literal["recorded", "ignored"]


@router.post(
    CATALOG_PATH,
    response_model=IntakeResult,
    summary="Receive catalog's organisation-link events from sync (Standard Webhooks)",
    responses=errors(401, UnknownEventType, InvalidEvent),
)
async def receive_catalog_event(request: Request) -> IntakeResult:
    body = await request.body()
    secret = request.app.state.settings.service_secret
    try:
        verify([secret], request.headers, body)
    except (WebhookVerificationError, ValueError) as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    kept = await service.record_event(request.app.state.db, parse_event(body))
    return IntakeResult(status="recorded" if kept else "ignored")
