"""Service-to-service calls into sync: the sender names itself (`X-Weft-Service`) and signs
the body as Standard Webhooks with its own secret."""

from __future__ import annotations

from fastapi import Request

from libs.common.errors import Unauthorized
from libs.common.webhooks import WebhookVerificationError, verify
from services.sync.config import Settings


async def verified_body(request: Request, service: str) -> bytes:
    settings: Settings = request.app.state.settings
    body = await request.body()
    secret = settings.service_secrets.get(service)
    if not secret:
        raise Unauthorized("Unknown sending service", code="invalid_signature")
    try:
        verify([secret], request.headers, body)
    except WebhookVerificationError as exc:
        raise Unauthorized(f"Signature rejected: {exc}", code="invalid_signature") from None
    return body
