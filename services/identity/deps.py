"""Identity's own request dependencies (the key store, the settings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from libs.common.db import Database
from services.identity.config import Settings
from services.identity.keys import KeyStore


def _keystore(request: Request) -> KeyStore:
    return request.app.state.keystore  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


Keys = Annotated[KeyStore, Depends(_keystore)]
IdentitySettings = Annotated[Settings, Depends(_settings)]
Db = Annotated[Database, Depends(_db)]
