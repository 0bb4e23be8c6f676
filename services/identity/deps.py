"""Identity's own request dependencies (the key store, the settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.common.deps import PasswordChangePrincipal
from services.identity.config import Settings
from services.identity.keys import KeyStore
from services.identity.users.plants import PlantDirectory


def _keystore(request: Request) -> KeyStore:
    return request.app.state.keystore  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def _plants(request: Request) -> PlantDirectory:
    return request.app.state.plants  # type: ignore[no-any-return]


Keys = Annotated[KeyStore, Depends(_keystore)]
Plants = Annotated[PlantDirectory, Depends(_plants)]
IdentitySettings = Annotated[Settings, Depends(_settings)]
Db = Annotated[Database, Depends(_db)]


async def _pending_password_session(
    request: Request, principal: PasswordChangePrincipal
) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.transaction(principal.tenant_id) as session:
        yield session


# The tenant session for the few routes a temporary-password token may call (/me,
# /me/password, /auth/logout): the kit's TenantSession refuses such tokens.
PendingPasswordSession = Annotated[
    AsyncSession, Depends(_pending_password_session, scope="function")
]
