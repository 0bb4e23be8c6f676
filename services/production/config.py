"""Production's settings (env prefix WEFT_PRODUCTION_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_PRODUCTION_", extra="ignore")

    service_name: str = "production"
    db_schema: str = "production"
    # How many blocked orders an MRP plan lists per item (the count is always complete).
    mrp_blocked_orders_listed: int = 50
    # Identity's base URL: asked, with the caller's own token, about a client tenant or a
    # user that the local copy does not know yet.
    identity_url: str = "http://127.0.0.1:8101"
    identity_timeout_seconds: float = 5.0
