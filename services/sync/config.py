"""Sync's settings (env prefix WEFT_SYNC_)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings

# Delays (seconds) before each delivery attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h, 24 h (Svix's schedule). After the last one fails the message is dead.
DEFAULT_RETRY_SCHEDULE: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_SYNC_", extra="ignore")

    service_name: str = "sync"
    db_schema: str = "sync"

    # name -> whsec secret of every service (verifies ingest, signs internal deliveries)
    service_secrets: dict[str, str] = Field(default_factory=dict, repr=False)
    # name -> base url of every service (internal subscribers)
    service_urls: dict[str, str] = Field(default_factory=dict)

    # SSRF guard: refuse private, loopback, link-local... addresses unless this is on (dev/test)
    allow_private_urls: bool = False

    # Events are kept this long (published), then removed by the scheduled job
    # sync.prune_events (services/sync/cleanup.py; its cron: job_schedules)
    event_retention_days: int = 30

    # Delivery
    retry_schedule: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))
    retry_jitter: float = 0.1  # +-10 %
    retry_after_cap_seconds: float = 3600
    delivery_timeout_seconds: float = 15
    delivery_enabled: bool = True
    delivery_poll_seconds: float = 0.2
    delivery_batch_size: int = 500
    global_concurrency: int = 200
    endpoint_concurrency: int = 5
    circuit_failure_threshold: int = 5
    circuit_cooldown_seconds: float = 30
    # Breakers shared by every replica live in Redis when this is set (WEFT_REDIS_URL, as the
    # gateway's rate limits); unset, each process keeps its own (the default)
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("WEFT_REDIS_URL", "WEFT_SYNC_REDIS_URL")
    )
    # An endpoint failing everything for this long is disabled (and the tenant told)
    endpoint_disable_after_seconds: float = 5 * 24 * 3600
    # Old secret keeps signing next to the new one after a rotation
    secret_rotation_grace_seconds: float = 24 * 3600
    response_body_limit: int = 2048
