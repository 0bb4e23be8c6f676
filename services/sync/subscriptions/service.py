"""Rules of webhook subscriptions: who may subscribe to what, secrets, tests, replays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.ids import new_id
from libs.common.pagination import PageParams
from libs.common.ssrf import UnsafeUrl as _Unsafe
from libs.common.ssrf import check_url
from libs.common.webhooks import generate_secret
from libs.contracts import known_types_matching
from libs.contracts.events.sync import WebhookTest
from services.sync.config import Settings
from services.sync.delivery.matching import any_matches
from services.sync.ingest.service import emit_sync_event
from services.sync.models import Attempt, Delivery, Endpoint
from services.sync.models.endpoint import KIND_TENANT, SCOPE_CUSTOMER, SCOPE_OWN
from services.sync.subscriptions import repository as repo
from services.sync.subscriptions.errors import (
    EndpointDisabled,
    EndpointNotFound,
    InvalidRange,
    MessageNotFound,
    UnknownEventTypes,
    UnsafeUrl,
)
from services.sync.subscriptions.schemas import EndpointCreate, EndpointUpdate

REPLAY_CAP = 10_000


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await check_url(url, allow_private=settings.allow_private_urls)
    except _Unsafe as exc:
        raise UnsafeUrl(str(exc)) from None
    return url


def _known_filters(patterns: list[str]) -> list[str]:
    """Each filter must select at least one event type that exists (422 otherwise)."""
    unknown = [p for p in patterns if not known_types_matching(p)]
    if unknown:
        raise UnknownEventTypes(
            f"No event type matches {', '.join(unknown)}",
            extra={
                "errors": [
                    {"field": "event_types", "message": f"no event type matches {p!r}"}
                    for p in unknown
                ]
            },
        )
    return patterns


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: EndpointCreate, settings: Settings
) -> Endpoint:
    url = await _checked_url(data.url, settings)
    client = principal.space == Space.CLIENT
    endpoint = Endpoint(
        id=new_id(),
        tenant_id=principal.tenant_id,
        parent_tenant_id=principal.parent_tenant_id if client else None,
        kind=KIND_TENANT,
        # a client tenant subscribes to what its provider makes for it, nothing else
        scope=SCOPE_CUSTOMER if client else SCOPE_OWN,
        space=str(principal.space),
        url=url,
        description=data.description,
        event_types=_known_filters(data.event_types),
        enabled=data.enabled,
        secret=generate_secret(),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def get_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, lock: bool = False
) -> Endpoint:
    endpoint = await repo.get_endpoint(session, principal.tenant_id, endpoint_id, lock=lock)
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


async def list_endpoints(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[list[Endpoint], str | None]:
    return await repo.list_endpoints(session, principal.tenant_id, page)


async def delete_endpoint(session: AsyncSession, endpoint: Endpoint) -> None:
    await repo.delete_endpoint(session, endpoint)


async def list_endpoint_attempts(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, page: PageParams
) -> tuple[list[Attempt], str | None]:
    await get_endpoint(session, principal, endpoint_id)
    return await repo.list_attempts(session, principal.tenant_id, page, endpoint_id=endpoint_id)


async def list_message_attempts(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID, page: PageParams
) -> tuple[list[Attempt], str | None]:
    if not await repo.message_known(session, principal, message_id):
        raise MessageNotFound("No message with this id for this tenant")
    return await repo.list_attempts(session, principal.tenant_id, page, event_id=message_id)


async def list_endpoint_deliveries(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    status: str | None,
    page: PageParams,
) -> tuple[list[Delivery], str | None]:
    await get_endpoint(session, principal, endpoint_id)
    return await repo.list_deliveries(session, principal.tenant_id, endpoint_id, status, page)


async def update_endpoint(
    session: AsyncSession, endpoint: Endpoint, data: EndpointUpdate, settings: Settings
) -> Endpoint:
    fields = data.model_dump(exclude_unset=True)
    if "url" in fields and fields["url"] is not None:
        endpoint.url = await _checked_url(fields["url"], settings)
    if fields.get("event_types") is not None:
        endpoint.event_types = _known_filters(fields["event_types"])
    if "description" in fields:
        endpoint.description = fields["description"]
    if fields.get("enabled") is not None:
        endpoint.enabled = fields["enabled"]
        if endpoint.enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
        else:
            endpoint.disabled_reason = "manual"
    await session.flush()
    return endpoint


async def rotate_secret(
    session: AsyncSession, endpoint: Endpoint, settings: Settings
) -> tuple[str, datetime]:
    expires = datetime.now(UTC) + timedelta(seconds=settings.secret_rotation_grace_seconds)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = expires
    endpoint.secret = generate_secret()
    await session.flush()
    assert endpoint.secret is not None
    return endpoint.secret, expires


async def send_test(session: AsyncSession, endpoint: Endpoint) -> uuid.UUID:
    if not endpoint.enabled:
        raise EndpointDisabled()
    assert endpoint.tenant_id is not None
    event_id = await emit_sync_event(
        session,
        WebhookTest(endpoint_id=endpoint.id),
        tenant_id=endpoint.tenant_id,
        subject=f"endpoints/{endpoint.id}",
        fan_out=False,
    )
    # the test goes to this endpoint only, whatever its filters say
    await repo.requeue(session, [_pair(endpoint, event_id)])
    return event_id


def _pair(endpoint: Endpoint, event_id: uuid.UUID) -> dict[str, object]:
    return {
        "id": new_id(),
        "tenant_id": endpoint.tenant_id,
        "event_id": event_id,
        "endpoint_id": endpoint.id,
    }


async def resend(session: AsyncSession, endpoint: Endpoint, event_id: uuid.UUID) -> None:
    event = await repo.get_event_for_endpoint(session, endpoint, event_id)
    if event is None:
        raise MessageNotFound()
    if not endpoint.enabled:
        raise EndpointDisabled()
    await repo.requeue(session, [_pair(endpoint, event_id)])


async def recover(session: AsyncSession, endpoint: Endpoint, since: datetime) -> int:
    if not endpoint.enabled:
        raise EndpointDisabled("The endpoint is disabled; enable it first")
    return await repo.recover_failed(session, endpoint.id, since)


async def replay(
    session: AsyncSession, endpoint: Endpoint, since: datetime, until: datetime | None
) -> int:
    if until is not None and until <= since:
        raise InvalidRange("until must be after since")
    if not endpoint.enabled:
        raise EndpointDisabled("The endpoint is disabled; enable it first")
    events = await repo.events_in_range(session, endpoint, since, until, REPLAY_CAP)
    pairs = [_pair(endpoint, e.id) for e in events if any_matches(endpoint.event_types, e.type)]
    await repo.requeue(session, pairs)
    return len(pairs)
