"""A service's subscriptions replace what sync held for it (sync reads the declarations)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.sync.config import Settings
from services.sync.consumers import repository as repo
from services.sync.consumers.errors import (
    ForeignSubscriptions,
    InvalidSubscriptions,
    UnknownConsumer,
)
from services.sync.consumers.schemas import (
    ConsumerSubscription,
    RegistrationResult,
    SubscriptionSet,
)


def parse(body: bytes, *, sender: str) -> SubscriptionSet:
    try:
        declared = SubscriptionSet.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidSubscriptions(
            "The subscriptions are not valid",
            extra={
                "errors": [
                    {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)
                ]
            },
        ) from None
    if declared.service != sender:
        raise ForeignSubscriptions(f"{sender} cannot register subscriptions of {declared.service}")
    return declared


async def register(
    session: AsyncSession, settings: Settings, declared: SubscriptionSet
) -> RegistrationResult:
    base = settings.service_urls.get(declared.service)
    if not base:
        raise UnknownConsumer(f"No service URL is configured for {declared.service!r}")
    out = []
    for sub in declared.subscriptions:
        url = base.rstrip("/") + sub.path
        await repo.upsert(
            session,
            service=declared.service,
            path=sub.path,
            url=url,
            types=sub.event_types,
            description=sub.description,
        )
        out.append(ConsumerSubscription(path=sub.path, url=url, event_types=sub.event_types))
    removed = await repo.unsubscribe_others(
        session, service=declared.service, keep=[s.path for s in declared.subscriptions]
    )
    return RegistrationResult(service=declared.service, subscriptions=out, removed=removed)
