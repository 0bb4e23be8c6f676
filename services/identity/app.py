"""Identity: tenants, users, roles, tokens (ES256 JWT + JWKS), invites, API clients, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from libs.common.app import create_service_app
from libs.common.relay import RelayOptions
from libs.contracts import subscriptions_lifespan
from services.identity.api_clients.endpoints import router as api_clients_router
from services.identity.audit.endpoints import router as audit_router
from services.identity.auth.endpoints import router as auth_router
from services.identity.config import Settings
from services.identity.elevations.endpoints import router as elevations_router
from services.identity.elevations.service import LocalElevationStatus, record_use
from services.identity.federation.endpoints import router as federation_router
from services.identity.impersonation.endpoints import router as impersonation_router
from services.identity.invites.endpoints import router as invites_router
from services.identity.jobs import jobs
from services.identity.keys import KeyStore
from services.identity.mail import mail_channel
from services.identity.orglinks.endpoints import router as orglinks_router
from services.identity.orglinks.subscriptions import SUBSCRIPTIONS
from services.identity.passwords.endpoints import router as passwords_router
from services.identity.roles.endpoints import router as roles_router
from services.identity.signing.endpoints import router as signing_router
from services.identity.signing.runtime import refresh_verifier
from services.identity.tenants.endpoints import router as tenants_router
from services.identity.users.endpoints import router as users_router
from services.identity.users.plants import PlantDirectory


async def _load_keys(app: FastAPI) -> None:
    app.state.keystore = KeyStore(app.state.db, app.state.settings)
    await app.state.keystore.load()
    refresh_verifier(app)


async def _elevations(app: FastAPI) -> None:
    """Identity answers for elevations from its own rows, and audits their uses."""
    app.state.elevations = LocalElevationStatus(app.state.db)
    app.state.elevation_use_recorder = record_use


@asynccontextmanager
async def _plant_directory(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.plants = PlantDirectory(
        settings.production_url, timeout=settings.production_timeout_seconds
    )
    try:
        yield
    finally:
        await app.state.plants.aclose()


def _with_oauth2_scheme(app: FastAPI) -> None:
    """Declare the client-credentials grant as an `oauth2` security scheme: every operation
    that takes a bearer token takes one from `/auth/token` too."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["oauth2"] = {
            "type": "oauth2",
            "description": "OAuth 2 client credentials (API clients); the token is a bearer JWT",
            "flows": {"clientCredentials": {"tokenUrl": "/auth/token", "scopes": {}}},
        }
        for item in schema.get("paths", {}).values():
            for op in item.values():
                security = op.get("security") if isinstance(op, dict) else None
                if security and {"oauth2": []} not in security:
                    security.append({"oauth2": []})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings=settings,
        title="Weft identity",
        description=(
            "Tenants and their tree, provisioning from industry templates, users, roles and "
            "memberships, invites, API clients, token issuing (ES256 JWT, JWKS) and the access "
            "audit trail."
        ),
        routers=[
            auth_router,
            passwords_router,
            signing_router,
            tenants_router,
            users_router,
            roles_router,
            invites_router,
            api_clients_router,
            audit_router,
            elevations_router,
            impersonation_router,
            orglinks_router,
            federation_router,
        ],
        on_startup=[_load_keys, _elevations],
        extra_lifespans=[_plant_directory, subscriptions_lifespan(SUBSCRIPTIONS)],
        relay=RelayOptions(mail=mail_channel(settings.mail_dir)),
        jobs=jobs,
    )
    _with_oauth2_scheme(app)
    return app
