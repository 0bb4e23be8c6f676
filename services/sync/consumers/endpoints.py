"""POST /internal/subscriptions: a service registers what it consumes (signed, internal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from libs.common.errors import problem_responses
from services.sync.consumers import service
from services.sync.consumers.schemas import RegistrationResult
from services.sync.internal_auth import verified_body

router = APIRouter(tags=["internal"])


@router.post(
    "/internal/subscriptions",
    response_model=RegistrationResult,
    operation_id="register_consumer_subscriptions",
    summary="A service declares the event types it consumes, each to its own internal path",
    responses=problem_responses(401, 403, 422),
)
async def register_consumer_subscriptions(
    request: Request,
    x_weft_service: Annotated[str, Header(description="Name of the registering service")],
) -> RegistrationResult:
    body = await verified_body(request, x_weft_service)
    declared = service.parse(body, sender=x_weft_service)
    async with request.app.state.db.transaction(None, system=True) as session:
        return await service.register(session, request.app.state.settings, declared)
