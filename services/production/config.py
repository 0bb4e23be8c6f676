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
