"""Messages (events as delivered): their attempts, and resending one to an endpoint."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from libs.common.deps import TenantSession
from libs.common.errors import AUTH_ERRORS, errors, problem_responses
from libs.common.pagination import Page, PageQuery
from services.sync.deps import WebhookManager, WebhookReader, wake_worker_after_response
from services.sync.subscriptions import service
from services.sync.subscriptions.errors import MessageNotFound
from services.sync.subscriptions.schemas import AttemptOut, MessageQueued, ResendRequest

router = APIRouter(prefix="/messages", tags=["webhook messages"], responses=AUTH_ERRORS)


@router.get(
    "/{message_id}/attempts",
    response_model=Page[AttemptOut],
    responses=errors(MessageNotFound),
    summary="Every delivery attempt of one message (to the tenant's endpoints)",
)
async def list_message_attempts(
    message_id: uuid.UUID, principal: WebhookReader, session: TenantSession, page: PageQuery
) -> Page[AttemptOut]:
    rows, cursor = await service.list_message_attempts(session, principal, message_id, page)
    return Page(items=[AttemptOut.of(r) for r in rows], next_cursor=cursor)


@router.post(
    "/{message_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageQueued,
    responses=problem_responses(404, 409),
    dependencies=[Depends(wake_worker_after_response)],
    summary="Deliver one message again to one endpoint",
)
async def resend_message(
    message_id: uuid.UUID,
    body: ResendRequest,
    principal: WebhookManager,
    session: TenantSession,
) -> MessageQueued:
    ep = await service.get_endpoint(session, principal, body.endpoint_id)
    await service.resend(session, ep, message_id)
    return MessageQueued(message_id=message_id)
