"""Identity verifies tokens against its own key store, not over HTTP to itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from libs.common.auth import JWKSCache, TokenVerifier
from services.identity.keys import KeyStore


class LocalJWKS(JWKSCache):
    def __init__(self, keystore: KeyStore, url: str) -> None:
        super().__init__(url)
        self.keystore = keystore

    async def refresh(self) -> None:
        self.load(await self.keystore.jwks())

    async def get(self, kid: str) -> dict[str, Any] | None:
        # The key store caches (and reloads after a rotation), so ask it every time:
        # a rotated-out key stops verifying at once.
        for key in (await self.keystore.jwks())["keys"]:
            if key.get("kid") == kid:
                return key  # type: ignore[no-any-return]
        return None


def refresh_verifier(app: FastAPI) -> None:
    """A fresh verifier (empty cache of verified tokens) over the local key store."""
    settings = app.state.settings
    app.state.verifier = TokenVerifier(
        LocalJWKS(app.state.keystore, settings.jwks_url),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
