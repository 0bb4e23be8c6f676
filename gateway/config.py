"""Gateway settings: env prefix WEFT_GATEWAY_ (see ARCHITECTURE.md section 4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_GATEWAY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # None: all interfaces in production (a container), loopback otherwise
    host: str | None = None
    port: int = 8000
    log_level: str = "INFO"
    # One JSON line per proxied request; off by default (the services log every request).
    access_log: bool = False

    # name -> base url, e.g. {"identity": "http://127.0.0.1:8101"}
    service_urls: dict[str, str] = Field(default_factory=dict)
    # The route table (spaces and public routes per service); None = gateway/routes.yaml
    routes_file: str | None = None

    # Token verification: the same libs.common.auth code the services run
    jwks_url: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    jwt_issuer: str = "https://identity.weft.local"
    jwt_audience: str = "weft"
    jwt_leeway_seconds: int = 30

    # Forwarding
    max_body_bytes: int = 10 * 1024 * 1024
    upstream_timeout_seconds: float = 15.0
    upstream_connect_timeout_seconds: float = 2.0
    upstream_pool_size: int = 256  # connections per upstream
    # Below uvicorn's 5 s keep-alive, so we never reuse a connection the service is closing.
    upstream_keepalive_seconds: float = 4.0
    # Circuit breaker: after this many consecutive connection failures the upstream is
    # considered down for circuit_open_seconds (answers 503 at once), then one probe passes.
    circuit_failure_threshold: int = 5
    circuit_open_seconds: float = 5.0

    # Rate limits: token buckets of `quota` requests refilled over `window` seconds.
    # Held in this process unless `redis_url` is set: then every replica draws from the same
    # buckets in Redis (gateway/ratelimit.py), so N replicas still give one quota.
    redis_url: str | None = Field(default=None, repr=False)
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: int = 60
    rate_limit_tenant: int = 3000
    rate_limit_client: int = 600
    rate_limit_ip: int = 120
    # Take the client address from X-Forwarded-For (only behind a trusted load balancer)
    trust_forwarded_for: bool = False

    # Audit records of the requests refused here (wrong space, rate limit): logged, and
    # sent in signed batches to the service's /internal/audit-records (gateway/audit.py).
    # Empty: logged only. Each service holds the same secret as <PREFIX>AUDIT_INGEST_SECRET.
    audit_secret: str = Field(default="", repr=False)
    audit_flush_seconds: float = 0.5

    # The public base URL of the gateway, as `servers` in the merged OpenAPI document
    # (e.g. https://api.weft.example); None: the scheme and Host of the request.
    public_url: str | None = None
    # Header lines (and the request line) longer than this get 431
    max_header_line_bytes: int = 8192

    # Merged OpenAPI: refreshed lazily when older than this
    openapi_refresh_seconds: float = 60.0
    openapi_fetch_timeout_seconds: float = 3.0

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "0.0.0.0" if self.environment == "production" else "127.0.0.1"  # noqa: S104
