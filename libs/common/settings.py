"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Values that must never reach production: empty, the usual placeholders, or our dev markers.
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "dev", "development"}


def is_placeholder(value: str | None) -> bool:
    if value is None:
        return True
    v = value.strip().lower()
    return v in _PLACEHOLDERS or v.startswith("dev-") or v.startswith("insecure")


class ServiceSettings(BaseSettings):
    """Common knobs. Subclasses set `model_config = SettingsConfigDict(env_prefix=...)`."""

    model_config = SettingsConfigDict(env_prefix="WEFT_", extra="ignore")

    service_name: str = "service"
    environment: Environment = "development"
    database_url: str = "postgresql+asyncpg://localhost/weft"
    db_schema: str = "public"
    db_pool_size: int = 10
    db_max_overflow: int = 10
    log_level: str = "INFO"
    # FastAPI's native OpenTelemetry (spans, metrics and logs to the process's global
    # providers). Off by default: otherwise FastAPI asks on every request whether a global
    # provider was configured (a few percent of a one-row read's CPU), for none.
    otel: bool = False
    # Freeze what start-up built out of the garbage collector's way (libs.common.heap); the
    # in-process tests, which start many apps in one process, turn it off.
    gc_freeze: bool = True
    # Largest request body the service reads (413 above it, before any route runs); a
    # service that takes documents (partner's specs) raises it, under the gateway's limit
    max_body_bytes: int = 1_048_576

    # Token verification (every service verifies tokens itself; see ARCHITECTURE.md section 3)
    jwt_issuer: str = "https://identity.weft.local"
    jwt_audience: str = "weft"
    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    jwt_leeway_seconds: int = 30
    # How long a service trusts identity's answer that a break-glass elevation is active
    # (libs.common.elevation): a revocation holds everywhere within this time
    elevation_status_ttl_seconds: float = 5.0

    # Idempotency keys are kept this long (published in the API docs)
    idempotency_ttl_hours: int = 72
    idempotency_lease_seconds: int = 60

    # Test only (honoured when environment is "test"): a service path whose requests kill
    # the process right after their commit, before the response (libs.common.testing).
    crash_after_commit_path: str | None = None

    # Secret this service signs its outbox deliveries with (Standard Webhooks, whsec_...)
    service_secret: str = Field(default="", repr=False)
    # Where the relay sends outbox batches (sync's ingest endpoint)
    sync_ingest_url: str = "http://127.0.0.1:8106/internal/events"
    # The outbox relay (libs.common.relay), started by create_service_app(relay=...) when
    # the schema has an outbox table
    relay_enabled: bool = True
    relay_poll_seconds: float = 0.2
    relay_batch_size: int = 100

    # Audit records (libs.common.audit): kept this many days, then pruned by the daily
    # `kit.prune_audit_records` job; the gateway signs the records it makes (refused before
    # any service ran) with this secret (whsec_..., WEFT_GATEWAY_AUDIT_SECRET there)
    audit_retention_days: int = Field(default=400, ge=1)
    audit_ingest_secret: str = Field(default="", repr=False)

    # Background jobs (libs.common.jobs): the runner and its worker inside the process
    jobs_enabled: bool = True
    jobs_worker_enabled: bool = True
    jobs_concurrency: int = 2
    jobs_poll_seconds: float = 5.0  # LISTEN/NOTIFY wakes it sooner; polling covers a lost one
    # Cron overrides per scheduled job name ("" switches a schedule off)
    job_schedules: dict[str, str] = Field(default_factory=dict)

    # Secrets a service must never run with a placeholder for, outside development.
    secret_fields: ClassVar[tuple[str, ...]] = ("service_secret",)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            for name in self.secret_fields:
                if is_placeholder(getattr(self, name)):
                    raise ValueError(
                        f"{name} is unset or a placeholder; set a real secret in production"
                    )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment != "production"
