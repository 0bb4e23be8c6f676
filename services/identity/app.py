"""Identity: tenants, users, roles, tokens (ES256 JWT + JWKS), invites, API clients, audit."""

from __future__ import annotations

from fastapi import FastAPI

from libs.common.app import create_service_app
from services.identity.api_clients.endpoints import router as api_clients_router
from services.identity.audit.endpoints import router as audit_router
from services.identity.auth.endpoints import router as auth_router
from services.identity.config import Settings
from services.identity.invites.endpoints import router as invites_router
from services.identity.keys import KeyStore
from services.identity.outbox_relay import outbox_lifespan
from services.identity.roles.endpoints import router as roles_router
from services.identity.signing.endpoints import router as signing_router
from services.identity.signing.runtime import refresh_verifier
from services.identity.tenants.endpoints import router as tenants_router
from services.identity.users.endpoints import router as users_router


async def _load_keys(app: FastAPI) -> None:
    app.state.keystore = KeyStore(app.state.db, app.state.settings)
    await app.state.keystore.load()
    refresh_verifier(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings=settings,
        title="Weft identity",
        description=(
            "Tenants and their tree, provisioning from industry templates, users, roles and "
            "memberships, invites, API clients, token issuing (ES256 JWT, JWKS) and the access "
            "audit trail."
        ),
        routers=[
            auth_router,
            signing_router,
            tenants_router,
            users_router,
            roles_router,
            invites_router,
            api_clients_router,
            audit_router,
        ],
        on_startup=[_load_keys],
        extra_lifespans=[outbox_lifespan()],
    )
