"""Identity settings (env prefix WEFT_IDENTITY_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings, is_placeholder


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_IDENTITY_", extra="ignore")

    service_name: str = "identity"
    db_schema: str = "identity"

    # Fernet key that encrypts the signing keys' private halves at rest.
    key_encryption_key: str = Field(default="", repr=False)
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    # Where invite and welcome links point (the SPA's accept page)
    public_base_url: str = "http://127.0.0.1:8000"
    mail_dir: str = ""
    state_dir: str = ""
    password_reset_ttl_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Magic links (partners' sign-in, no password): one-time, short-lived
    magic_link_ttl_minutes: int = Field(default=15, ge=1, le=60)

    # Production's base URL: identity asks it whether a plant exists before a plant grant.
    production_url: str = "http://127.0.0.1:8102"
    production_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    # Federation with peer Weft instances (services/identity/federation). Off: no tenant
    # is linked on provisioning and signed requests from peers are refused.
    federation_enabled: bool = True
    # Peers' URLs may be private addresses (a test or a demo on one machine); off in production.
    federation_allow_private_urls: bool = False
    federation_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Login throttling, per account (tenant + email) and per source address. Past
    # `*_backoff_after` failures each attempt waits 2^(n - backoff_after + 1) s (capped);
    # at `*_lock_after` the key is locked for `login_lock_seconds`. Counters reset after
    # `login_window_seconds` without a failure.
    login_backoff_after: int = Field(default=5, ge=1)
    login_lock_after: int = Field(default=10, ge=2)
    login_ip_backoff_after: int = Field(default=30, ge=1)
    login_ip_lock_after: int = Field(default=100, ge=2)
    login_max_backoff_seconds: int = Field(default=60, ge=1)
    login_lock_seconds: int = Field(default=900, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Peers (addresses or CIDR ranges) whose X-Forwarded-For names the client: the gateway.
    # Identity is not exposed directly, so loopback and private ranges (where the gateway's
    # replicas run) are trusted by default; any other peer is the client itself.
    trusted_proxies: list[str] = [
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    ]
    # Source addresses never throttled per address (accounts still are): e.g. a test
    # suite whose every client is 127.0.0.1.
    login_ip_exempt: list[str] = []

    secret_fields: ClassVar[tuple[str, ...]] = ("service_secret", "key_encryption_key")

    @model_validator(mode="after")
    def _refuse_missing_key_encryption_key(self) -> Settings:
        # Stricter than the kit: only development may start without the key.
        if self.environment != "development" and is_placeholder(self.key_encryption_key):
            raise ValueError("key_encryption_key (WEFT_IDENTITY_KEY_ENCRYPTION_KEY) must be set")
        return self


def get_settings() -> Settings:
    return Settings()
