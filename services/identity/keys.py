"""ES256 signing keys: stored encrypted in identity.signing_keys, cached in the process.

The JWKS publishes the current and the previous key; rotation makes a new current key,
keeps the old current as previous and removes anything older. CLI:

    python -m services.identity.keys rotate
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from services.identity.config import Settings
from services.identity.models import SigningKey

_ROTATION_LOCK = 0x1D3_7E7  # advisory lock id: one rotation at a time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fernet(settings: Settings) -> Fernet:
    if not settings.key_encryption_key:
        raise RuntimeError("WEFT_IDENTITY_KEY_ENCRYPTION_KEY is not set")
    return Fernet(settings.key_encryption_key.encode())


def public_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict[str, Any]:
    nums = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(nums.x.to_bytes(32, "big")),
        "y": _b64(nums.y.to_bytes(32, "big")),
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
    }


def generate_key(settings: Settings) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = _b64(hashlib.sha256(der).digest()[:16])
    return SigningKey(
        kid=kid,
        status="current",
        private_key_encrypted=fernet(settings).encrypt(pem).decode(),
        public_jwk=public_jwk(private.public_key(), kid),
    )


async def ensure_key(session: AsyncSession, settings: Settings) -> bool:
    """Create the first signing key when there is none; True when one was made."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ROTATION_LOCK})
    existing = await session.scalar(select(SigningKey.kid).where(SigningKey.status == "current"))
    if existing:
        return False
    session.add(generate_key(settings))
    await session.flush()
    return True


async def rotate(session: AsyncSession, settings: Settings) -> str:
    """New key becomes current, the current one previous, older ones go. Returns the new kid."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ROTATION_LOCK})
    await session.execute(delete(SigningKey).where(SigningKey.status != "current"))
    await session.execute(
        update(SigningKey).where(SigningKey.status == "current").values(status="previous")
    )
    await session.flush()
    key = generate_key(settings)
    session.add(key)
    await session.flush()
    return key.kid


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    status: str
    private_pem: str | None
    jwk: dict[str, Any]


class KeyStore:
    """The keys, loaded once and cached; reloaded after a rotation or every `ttl` seconds
    (so a rotation made by the CLI in another process is picked up)."""

    def __init__(self, db: Database, settings: Settings, *, ttl: float = 30.0) -> None:
        self.db = db
        self.settings = settings
        self.ttl = ttl
        self._keys: list[LoadedKey] = []
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        async with self.db.transaction(system=True) as s:
            rows = (
                await s.scalars(select(SigningKey).order_by(SigningKey.created_at.desc()))
            ).all()
        f = fernet(self.settings) if rows else None
        keys = []
        for row in rows:
            pem = None
            if row.status == "current" and f is not None:
                try:
                    pem = f.decrypt(row.private_key_encrypted.encode()).decode()
                except InvalidToken:
                    raise RuntimeError(
                        "signing key cannot be decrypted: wrong key_encryption_key"
                    ) from None
            keys.append(LoadedKey(row.kid, row.status, pem, dict(row.public_jwk)))
        self._keys = keys
        self._loaded_at = time.monotonic()

    async def _fresh(self) -> list[LoadedKey]:
        if time.monotonic() - self._loaded_at > self.ttl or not self._keys:
            async with self._lock:
                if time.monotonic() - self._loaded_at > self.ttl or not self._keys:
                    await self.load()
        return self._keys

    async def current(self) -> LoadedKey:
        for key in await self._fresh():
            if key.status == "current" and key.private_pem:
                return key
        raise RuntimeError("no current signing key; run the bootstrap")

    async def jwks(self) -> dict[str, Any]:
        keys = await self._fresh()
        return {"keys": [k.jwk for k in keys if k.status in ("current", "previous")]}


async def _rotate_cli() -> str:
    settings = Settings()
    db = Database(settings.database_url, schema=settings.db_schema, pool_size=1, max_overflow=0)
    try:
        async with db.transaction(system=True) as s:
            return await rotate(s, settings)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.identity.keys")
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args()
    kid = asyncio.run(_rotate_cli())
    print(f"new current signing key: {kid}")


if __name__ == "__main__":
    main()
