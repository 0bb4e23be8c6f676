"""Quality's settings (env prefix WEFT_QUALITY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_QUALITY_", extra="ignore")

    service_name: str = "quality"
    db_schema: str = "quality"
