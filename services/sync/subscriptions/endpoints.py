"""Webhook endpoints (subscriptions): CRUD, secret rotation, test, attempts, recover, replay."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from libs.common.deps import TenantSession
from libs.common.errors import AUTH_ERRORS, problem_responses
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.sync.deps import (
    SyncSettings,
    WebhookManager,
    WebhookReader,
    wake_worker_after_response,
)
from services.sync.subscriptions import service
from services.sync.subscriptions.schemas import (
    AttemptOut,
    Count,
    DeliveryOut,
    Endpoint,
    EndpointCreate,
    EndpointUpdate,
    EndpointWithSecret,
    MessageQueued,
    RecoverRequest,
    ReplayRequest,
    SecretRotated,
)

router = APIRouter(prefix="/endpoints", tags=["webhook endpoints"], responses=AUTH_ERRORS)
Wake = Depends(wake_worker_after_response)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointWithSecret,
    summary="Subscribe a URL to events; the signing secret is shown in this response only",
    responses=problem_responses(422),
)
async def create_endpoint(
    body: EndpointCreate,
    principal: WebhookManager,
    session: TenantSession,
    settings: SyncSettings,
    response: Response,
) -> EndpointWithSecret:
    ep = await service.create_endpoint(session, principal, body, settings)
    set_etag(response, ep.version)
    response.headers["Location"] = f"/endpoints/{ep.id}"
    return EndpointWithSecret.model_validate(
        {**Endpoint.model_validate(ep).model_dump(), "secret": ep.secret}
    )


@router.get("", response_model=Page[Endpoint], summary="List the tenant's webhook endpoints")
async def list_endpoints(
    principal: WebhookReader, session: TenantSession, page: PageQuery
) -> Page[Endpoint]:
    rows, cursor = await service.list_endpoints(session, principal, page)
    return Page(items=[Endpoint.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{endpoint_id}", response_model=Endpoint, responses=problem_responses(404))
async def get_endpoint(
    endpoint_id: uuid.UUID, principal: WebhookReader, session: TenantSession, response: Response
) -> Endpoint:
    ep = await service.get_endpoint(session, principal, endpoint_id)
    set_etag(response, ep.version)
    return Endpoint.model_validate(ep)


@router.patch(
    "/{endpoint_id}",
    response_model=Endpoint,
    responses=problem_responses(404, 412, 422),
    summary="Change url, filters, description, or enable / disable (If-Match optional)",
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    principal: WebhookManager,
    session: TenantSession,
    settings: SyncSettings,
    request: Request,
    response: Response,
) -> Endpoint:
    ep = await service.get_endpoint(session, principal, endpoint_id, lock=True)
    check_if_match(request, ep.version)
    ep = await service.update_endpoint(session, ep, body, settings)
    set_etag(response, ep.version)
    return Endpoint.model_validate(ep)


@router.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
async def delete_endpoint(
    endpoint_id: uuid.UUID, principal: WebhookManager, session: TenantSession
) -> Response:
    ep = await service.get_endpoint(session, principal, endpoint_id)
    await service.delete_endpoint(session, ep)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=SecretRotated,
    responses=problem_responses(404),
    summary="New secret; the old one keeps signing alongside it for the grace period",
)
async def rotate_endpoint_secret(
    endpoint_id: uuid.UUID,
    principal: WebhookManager,
    session: TenantSession,
    settings: SyncSettings,
) -> SecretRotated:
    ep = await service.get_endpoint(session, principal, endpoint_id, lock=True)
    secret, expires = await service.rotate_secret(session, ep, settings)
    return SecretRotated(secret=secret, previous_secret_expires_at=expires)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageQueued,
    responses=problem_responses(404, 409),
    dependencies=[Wake],
    summary="Send a webhook.test event to this endpoint",
)
async def send_test_event(
    endpoint_id: uuid.UUID, principal: WebhookManager, session: TenantSession
) -> MessageQueued:
    ep = await service.get_endpoint(session, principal, endpoint_id)
    return MessageQueued(message_id=await service.send_test(session, ep))


@router.get(
    "/{endpoint_id}/attempts",
    response_model=Page[AttemptOut],
    responses=problem_responses(404),
    summary="Delivery attempts to this endpoint, newest first",
)
async def list_endpoint_attempts(
    endpoint_id: uuid.UUID, principal: WebhookReader, session: TenantSession, page: PageQuery
) -> Page[AttemptOut]:
    rows, cursor = await service.list_endpoint_attempts(session, principal, endpoint_id, page)
    return Page(items=[AttemptOut.of(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[DeliveryOut],
    responses=problem_responses(404),
    summary="The ledger of messages to this endpoint (status: pending, succeeded, failed)",
)
async def list_endpoint_deliveries(
    endpoint_id: uuid.UUID,
    principal: WebhookReader,
    session: TenantSession,
    page: PageQuery,
    status_filter: Annotated[
        str | None, Query(alias="status", pattern="^(pending|succeeded|failed)$")
    ] = None,
) -> Page[DeliveryOut]:
    rows, cursor = await service.list_endpoint_deliveries(
        session, principal, endpoint_id, status_filter, page
    )
    return Page(items=[DeliveryOut.of(r) for r in rows], next_cursor=cursor)


@router.post(
    "/{endpoint_id}/recover",
    response_model=Count,
    responses=problem_responses(404, 409),
    dependencies=[Wake],
    summary="Deliver again every failed message since a time",
)
async def recover_endpoint(
    endpoint_id: uuid.UUID,
    body: RecoverRequest,
    principal: WebhookManager,
    session: TenantSession,
) -> Count:
    ep = await service.get_endpoint(session, principal, endpoint_id)
    return Count(count=await service.recover(session, ep, body.since))


@router.post(
    "/{endpoint_id}/replay",
    response_model=Count,
    responses=problem_responses(404, 409, 422),
    dependencies=[Wake],
    summary="Deliver again every matching event in a time range",
)
async def replay_endpoint(
    endpoint_id: uuid.UUID,
    body: ReplayRequest,
    principal: WebhookManager,
    session: TenantSession,
) -> Count:
    ep = await service.get_endpoint(session, principal, endpoint_id)
    return Count(count=await service.replay(session, ep, body.since, body.until))
