"""Sync: event ingest and fan-out, webhook subscriptions and signed, retried delivery."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.common.app import create_service_app
from services.sync.cleanup import cleanup_loop
from services.sync.config import Settings
from services.sync.delivery.internal import register_internal_subscribers
from services.sync.delivery.worker import DeliveryWorker
from services.sync.endpoints.endpoints import router as endpoints_router
from services.sync.events.endpoints import router as events_router
from services.sync.ingest.endpoints import router as ingest_router
from services.sync.messages.endpoints import router as messages_router

DESCRIPTION = """Events from every service, stored once and kept for a published retention
period (30 days by default), delivered to webhook endpoints signed as Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once: retried with backoff
for about three days (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h),
then dead-lettered and recoverable. Receivers should deduplicate by `webhook-id`."""


@asynccontextmanager
async def delivery_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    await register_internal_subscribers(app.state.db, settings)
    worker = DeliveryWorker(app.state.db, settings)
    app.state.worker = worker
    if settings.delivery_enabled:
        await worker.start()
    cleanup = asyncio.create_task(cleanup_loop(app.state.db, settings))
    # Start-up objects (modules, metadata, routes) never die: keep them out of the cyclic
    # GC's full passes, which otherwise stall the delivery loop for tens of milliseconds.
    gc.freeze()
    try:
        yield
    finally:
        cleanup.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cleanup
        if settings.delivery_enabled:
            await worker.stop()


def create_app() -> FastAPI:
    settings = Settings()
    return create_service_app(
        settings=settings,
        title="Weft sync",
        description=DESCRIPTION,
        routers=[ingest_router, endpoints_router, messages_router, events_router],
        extra_lifespans=[delivery_lifespan],
    )
