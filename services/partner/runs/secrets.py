"""Sandbox credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256), never returned."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.partner.config import Settings


def fernet(settings: Settings) -> Fernet:
    if settings.credentials_key:
        return Fernet(settings.credentials_key.encode())
    # no key of its own: one derived from the service secret, for this purpose only
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"weft.partner.run-credentials"
    ).derive(settings.service_secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(settings: Settings, value: str) -> bytes:
    return fernet(settings).encrypt(value.encode())


def decrypt(settings: Settings, token: bytes) -> str:
    return fernet(settings).decrypt(token).decode()
