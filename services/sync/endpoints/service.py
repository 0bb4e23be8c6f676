"""Rules of webhook subscriptions: who may subscribe to what, secrets, tests, replays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal, Space
from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.ids import new_id
from libs.common.webhooks import generate_secret
from services.sync.config import Settings
from services.sync.delivery.matching import any_matches
from services.sync.endpoints import repository as repo
from services.sync.endpoints.schemas import EndpointCreate, EndpointUpdate
from services.sync.ingest.store import store_events
from services.sync.models import Endpoint
from services.sync.models.endpoint import KIND_TENANT, SCOPE_CUSTOMER, SCOPE_OWN
from services.sync.ssrf import UnsafeUrl, check_url

REPLAY_CAP = 10_000


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        await check_url(url, allow_private=settings.allow_private_urls)
    except UnsafeUrl as exc:
        raise Unprocessable(str(exc), code="unsafe_url") from None
    return url


async def create_endpoint(
    session: AsyncSession, principal: Principal, data: EndpointCreate, settings: Settings
) -> Endpoint:
    url = await _checked_url(data.url, settings)
    endpoint = Endpoint(
        id=new_id(),
        tenant_id=principal.tenant_id,
        kind=KIND_TENANT,
        # a client tenant subscribes to what its provider makes for it, nothing else
        scope=SCOPE_CUSTOMER if principal.space == Space.CLIENT else SCOPE_OWN,
        space=str(principal.space),
        url=url,
        description=data.description,
        event_types=data.event_types,
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
        raise NotFound("No such endpoint", code="endpoint_not_found")
    return endpoint


async def update_endpoint(
    session: AsyncSession, endpoint: Endpoint, data: EndpointUpdate, settings: Settings
) -> Endpoint:
    fields = data.model_dump(exclude_unset=True)
    if "url" in fields and fields["url"] is not None:
        endpoint.url = await _checked_url(fields["url"], settings)
    if fields.get("event_types") is not None:
        endpoint.event_types = fields["event_types"]
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
        raise Conflict("The endpoint is disabled", code="endpoint_disabled")
    assert endpoint.tenant_id is not None
    event_id = new_id()
    await store_events(
        session,
        [
            {
                "id": event_id,
                "type": "webhook.test",
                "tenant_id": endpoint.tenant_id,
                "customer_tenant_id": None,
                "subject": f"endpoints/{endpoint.id}",
                "occurred_at": datetime.now(UTC),
                "data": {"endpoint_id": str(endpoint.id), "message": "Test event from Weft"},
            }
        ],
        source="sync",
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
        raise NotFound("No such message for this endpoint", code="message_not_found")
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled", code="endpoint_disabled")
    await repo.requeue(session, [_pair(endpoint, event_id)])


async def recover(session: AsyncSession, endpoint: Endpoint, since: datetime) -> int:
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first", code="endpoint_disabled")
    return await repo.recover_failed(session, endpoint.id, since)


async def replay(
    session: AsyncSession, endpoint: Endpoint, since: datetime, until: datetime | None
) -> int:
    if until is not None and until <= since:
        raise Unprocessable("until must be after since", code="invalid_range")
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first", code="endpoint_disabled")
    events = await repo.events_in_range(session, endpoint, since, until, REPLAY_CAP)
    pairs = [_pair(endpoint, e.id) for e in events if any_matches(endpoint.event_types, e.type)]
    await repo.requeue(session, pairs)
    return len(pairs)
