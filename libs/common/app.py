"""create_service_app(): the same frame for every service (lifespan, middleware, errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from libs.common.audit.endpoints import router as audit_router
from libs.common.audit.middleware import AuditMiddleware
from libs.common.auth import JWKSCache, TokenVerifier
from libs.common.db import Database
from libs.common.elevation import HttpElevationStatus, identity_base_url
from libs.common.errors import install_error_handlers
from libs.common.health import router as health_router
from libs.common.heap import settle_startup_heap
from libs.common.housekeeping import kit_jobs
from libs.common.idempotency import IdempotencyMiddleware
from libs.common.jobs import JobRegistry, JobRunner
from libs.common.logs import configure_logging
from libs.common.middleware import RequestContextMiddleware
from libs.common.relay import RelayOptions, relay_lifespan
from libs.common.settings import ServiceSettings
from libs.openapi.service import service_openapi

# Extra start-up work a service needs (a relay, a consumer); yields while the app runs.
Lifespan = Callable[[FastAPI], Any]


def operation_id(route: APIRoute) -> str:
    """Operation ids are the endpoint function names: list_orders, get_order, create_order."""
    return route.name


def freeze_routes(router: Any) -> None:
    """The routes are all declared once the app starts: give every router its routes'
    version as a constant. FastAPI otherwise recounts every route of every included router
    on each request to see whether its matching cache is stale (an eighth of a one-row
    read's CPU in identity). A FastAPI without that method is left as it is."""
    seen: set[int] = set()
    pending = [router]
    while pending:
        current = pending.pop()
        if id(current) in seen or not hasattr(current, "_get_routes_version"):
            continue
        seen.add(id(current))
        version = current._get_routes_version()
        current._get_routes_version = lambda seen=None, version=version: version
        for route in getattr(current, "routes", ()):
            nested = getattr(route, "original_router", None)
            if nested is not None:
                pending.append(nested)


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    extra_lifespans: Sequence[Lifespan] = (),
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    jobs: JobRegistry | None = None,
    relay: RelayOptions | None = None,
    version: str = "0.1.0",
    streamed_paths: Sequence[str] = (),
) -> FastAPI:
    """The service's FastAPI app.

    - `jobs`: the service's job declarations. A job runner (`app.state.jobs`) runs them and
      the kit's own scheduled jobs (libs.common.housekeeping) in this process, on the
      service's own schema and queue; with `jobs_worker_enabled` off it only prepares the
      schema (jobs are still deferred, and run by another process).
    - `relay`: start the outbox relay (libs.common.relay) with these options; a service with
      an outbox passes it, sync (which stores its events directly) does not.
    - `streamed_paths`: routes that stream a large upload themselves (own size cap, own NUL
      check); the request middleware neither caps nor reads their body. An entry ending in
      "/" is a prefix: `/objects/` for a service serving libs.common.storage.objects_router.
    """
    configure_logging(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        freeze_routes(app.router)
        # A test may hand in its own database (one rolled-back transaction) and verifier.
        own_db = getattr(app.state, "db", None) is None
        if own_db:
            app.state.db = Database(
                settings.database_url,
                schema=settings.db_schema,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
        if getattr(app.state, "verifier", None) is None:
            app.state.verifier = TokenVerifier(
                JWKSCache(settings.jwks_url),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                leeway=settings.jwt_leeway_seconds,
            )
        for hook in on_startup:
            await hook(app)
        async with AsyncExitStack() as stack:
            if getattr(app.state, "elevations", None) is None:
                # identity installs its own source (it is the authority) in a start-up hook
                elevations = HttpElevationStatus(
                    identity_base_url(settings), ttl=settings.elevation_status_ttl_seconds
                )
                app.state.elevations = elevations
                stack.push_async_callback(elevations.close)
            if settings.jobs_enabled:
                runner = JobRunner(
                    JobRegistry.combine(kit_jobs, jobs or JobRegistry()),
                    app.state.db,
                    database_url=settings.database_url,
                    state=app.state,
                    concurrency=settings.jobs_concurrency,
                    poll_seconds=settings.jobs_poll_seconds,
                    worker=settings.jobs_worker_enabled,
                    schedules=settings.job_schedules,
                )
                await runner.start()
                stack.push_async_callback(runner.stop)
                app.state.jobs = runner
            for extra in extra_lifespans:
                await stack.enter_async_context(extra(app))
            if relay is not None:
                await stack.enter_async_context(relay_lifespan(relay)(app))
            if settings.gc_freeze:
                settle_startup_heap()
            yield
        if own_db:
            await app.state.db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        separate_input_output_schemas=False,
        telemetry={
            "tracing": settings.otel,
            "metrics": settings.otel,
            "logs": settings.otel,
        },
    )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(audit_router)
    for router in routers:
        app.include_router(router)
    # Outermost last: request context wraps audit wraps idempotency, so replays carry a
    # request id too, and audit sees a write's answer only once it has committed.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        streamed_paths=frozenset(streamed_paths),
        max_body_bytes=settings.max_body_bytes,
    )

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = service_openapi(app)
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app
