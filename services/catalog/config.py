"""Catalog's settings (env prefix WEFT_CATALOG_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_CATALOG_", extra="ignore")

    service_name: str = "catalog"
    db_schema: str = "catalog"
    # Tickets one equipment's QR code may open per hour without an account (the gateway also
    # limits public routes per client address).
    qr_tickets_per_hour: int = 5
    # How often the SLA escalation sweep runs (seconds; 0 turns the in-process timer off).
    escalation_interval_seconds: float = 60.0
    # Most SKUs one resolve call may ask for.
    resolve_max_skus: int = 1000
    # Largest import file (streamed to the database in chunks, never held whole).
    import_max_bytes: int = 1024 * 1024 * 1024
    # Identity, asked with the caller's own token whether a tenant is the caller's client.
    identity_url: str = "http://127.0.0.1:8101"
    identity_timeout_seconds: float = 5.0
