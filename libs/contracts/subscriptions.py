"""Consumers declare what they subscribe to; sync reads the declarations.

A declaration lives with the consumer's code (next to the endpoint that receives):

    SUBSCRIPTIONS = [
        Subscription("quality", "/internal/events/lots", [LotGateReached]),
    ]

and the consumer's app registers them with sync at start-up:

    create_service_app(..., extra_lifespans=[subscriptions_lifespan(SUBSCRIPTIONS)])

Registration is a signed internal POST to sync (`/internal/subscriptions`, Standard
Webhooks signature with the service's own secret, `X-Weft-Service`), retried in the
background until sync answers, so start-up order does not matter. Each registration
replaces the service's whole set: a path no longer declared stops receiving. Sync signs
every delivery with the receiving service's secret; the receiver verifies it and parses
the body with `libs.contracts.parse_event`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator

from libs.common.ids import new_id
from libs.common.webhooks import signed_headers
from libs.contracts.base import EventModel
from libs.contracts.registry import known_types_matching

log = logging.getLogger("weft.contracts.subscriptions")

SERVICE_HEADER = "X-Weft-Service"
REGISTRATION_PATH = "/internal/subscriptions"
_PATH_RE = re.compile(r"^/internal(/[A-Za-z0-9._~-]+)+$")


class UnknownEventFilter(ValueError):
    """A subscription names an event type, or a pattern, that matches no declared type."""


def check_event_filters(patterns: Iterable[str]) -> None:
    unknown = [p for p in patterns if not known_types_matching(p)]
    if unknown:
        raise UnknownEventFilter(f"no declared event type matches {', '.join(unknown)}")


@dataclass(frozen=True)
class Subscription:
    """`service` receives events of `event_types` (models, names or `prefix.*`) at `path`."""

    service: str
    path: str
    event_types: Sequence[type[EventModel] | str]
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not _PATH_RE.match(self.path):
            raise ValueError(f"a subscription path lives under /internal/: {self.path!r}")
        check_event_filters(self.types)

    @property
    def types(self) -> list[str]:
        return [t if isinstance(t, str) else t.event_type for t in self.event_types]


# --- the wire format of a registration (sync validates it with the same models) ---------


class SubscriptionIn(BaseModel):
    path: str = Field(pattern=_PATH_RE.pattern, max_length=300)
    event_types: list[str] = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        check_event_filters(value)
        return value


class SubscriptionSet(BaseModel):
    """Every subscription of one service; replaces what sync held for it."""

    service: str = Field(min_length=1, max_length=64)
    subscriptions: list[SubscriptionIn] = Field(max_length=100)


def subscription_set(service: str, subscriptions: Iterable[Subscription]) -> SubscriptionSet:
    subs = list(subscriptions)
    foreign = {s.service for s in subs} - {service}
    if foreign:
        raise ValueError(f"{service} cannot declare subscriptions of {sorted(foreign)}")
    return SubscriptionSet(
        service=service,
        subscriptions=[
            SubscriptionIn(path=s.path, event_types=s.types, description=s.description)
            for s in subs
        ],
    )


def registration_url(sync_ingest_url: str) -> str:
    """Sync's registration endpoint, beside its ingest endpoint."""
    base = sync_ingest_url.split("/internal/", 1)[0]
    return base.rstrip("/") + REGISTRATION_PATH


async def register(
    client: httpx.AsyncClient, *, url: str, secret: str, body: SubscriptionSet
) -> httpx.Response:
    raw = orjson.dumps(body.model_dump(mode="json"))
    headers = signed_headers([secret], str(new_id()), raw)
    headers[SERVICE_HEADER] = body.service
    return await client.post(url, content=raw, headers=headers)


async def register_until_accepted(
    *, url: str, secret: str, body: SubscriptionSet, max_delay: float = 1.0
) -> bool:
    """Post the set until sync answers 2xx (True); a 4xx is a refusal, not retried (False)."""
    delay = 0.1
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                resp = await register(client, url=url, secret=secret, body=body)
                if resp.is_success:
                    log.info("subscriptions registered", extra={"count": len(body.subscriptions)})
                    return True
                if 400 <= resp.status_code < 500:
                    log.error(
                        "sync refused the subscriptions",
                        extra={"status": resp.status_code, "body": resp.text[:500]},
                    )
                    return False
            except httpx.HTTPError as exc:
                log.debug("sync not reachable yet: %s", exc)
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)


def subscriptions_lifespan(
    subscriptions: Iterable[Subscription],
) -> Callable[[FastAPI], Any]:
    """A lifespan for create_service_app(extra_lifespans=[...]) that registers the
    service's subscriptions with sync in the background."""
    subs = list(subscriptions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        if not settings.service_secret or not settings.sync_ingest_url:
            log.warning("subscriptions not registered: service_secret or sync_ingest_url unset")
            yield
            return
        body = subscription_set(settings.service_name, subs)
        task = asyncio.create_task(
            register_until_accepted(
                url=registration_url(settings.sync_ingest_url),
                secret=settings.service_secret,
                body=body,
            ),
            name=f"subscriptions-{settings.service_name}",
        )
        app.state.subscriptions_registered = task
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
