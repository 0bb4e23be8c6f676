"""Sync: event ingest and fan-out, webhook subscriptions and signed, retried delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.contracts import add_webhooks
from services.sync.cleanup import jobs
from services.sync.config import Settings
from services.sync.consumers.endpoints import router as consumers_router
from services.sync.delivery.worker import DeliveryWorker
from services.sync.events.endpoints import router as events_router
from services.sync.ingest.endpoints import router as ingest_router
from services.sync.messages.endpoints import router as messages_router
from services.sync.subscriptions.endpoints import router as endpoints_router

DESCRIPTION = """Events from every service, stored once and kept for a published retention
period (30 days by default), delivered to webhook endpoints signed as Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once: retried with backoff
for about three days (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h),
then dead-lettered and recoverable. Receivers should deduplicate by `webhook-id`."""


@asynccontextmanager
async def delivery_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    worker = DeliveryWorker(app.state.db, settings)
    app.state.worker = worker
    if settings.delivery_enabled:
        await worker.start()
    # (the kit freezes the start-up heap once the app is ready: libs.common.heap)
    try:
        yield
    finally:
        if settings.delivery_enabled:
            await worker.stop()


def create_app() -> FastAPI:
    settings = Settings()
    app = create_service_app(
        settings=settings,
        title="Weft sync",
        description=DESCRIPTION,
        routers=[
            ingest_router,
            consumers_router,
            endpoints_router,
            messages_router,
            events_router,
        ],
        extra_lifespans=[delivery_lifespan],
        jobs=jobs,
    )
    with_webhooks(app)
    return app


def with_webhooks(app: FastAPI) -> None:
    """Sync's spec documents every event type as an OpenAPI 3.1 webhook (libs.contracts)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None or "webhooks" not in app.openapi_schema:
            app.openapi_schema = add_webhooks(base())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
