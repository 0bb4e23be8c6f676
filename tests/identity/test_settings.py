"""Identity refuses to start without its key-encryption key outside development."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.identity.config import Settings
from services.identity.templates import industries, system_roles


def test_key_encryption_key_required_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEFT_IDENTITY_KEY_ENCRYPTION_KEY", raising=False)
    for env in ("test", "production"):
        with pytest.raises(ValidationError):
            Settings(environment=env, key_encryption_key="", service_secret="whsec_x" * 3)
    assert Settings(environment="development", key_encryption_key="").key_encryption_key == ""
    key = Fernet.generate_key().decode()
    assert Settings(environment="test", key_encryption_key=key).key_encryption_key == key
    assert key not in repr(Settings(environment="test", key_encryption_key=key))


def test_templates_cover_the_brief() -> None:
    perms = {r.name: set(r.permissions) for r in system_roles()}
    assert perms["ADMIN"] == {"*:*"}
    assert perms["CLIENT_ADMIN"] == perms["CLIENT_VIEWER"] | {
        "users:read",
        "webhooks:read",
        "webhooks:manage",
        "audit:read",  # its own tenant's audit records
    }
    assert {"luxury_packaging", "electronics"} <= set(industries())
