"""Partner's settings (env prefix WEFT_PARTNER_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_PARTNER_", extra="ignore")

    service_name: str = "partner"
    db_schema: str = "partner"
    state_dir: Path = Path(".weft/partner")
    # file:///folder (default: <state_dir>/objects) or s3://bucket (WEFT_S3_ENDPOINT_URL)
    storage_url: str = ""
    # Largest spec document one upload may carry (JSON or YAML, before parsing): under the
    # gateway's 10 MiB body limit. Weft's own merged /openapi.json is well under 2 MiB.
    spec_max_bytes: int = 4 * 1024 * 1024
    # the kit's body limit, raised for specs (the route answers spec_too_large itself)
    max_body_bytes: int = 4 * 1024 * 1024 + 64 * 1024
    # Evidence files: presigned uploads and downloads live minutes. Uploads to the local
    # store pass through this service: at most its body limit (max_body_bytes).
    evidence_max_bytes: int = 4 * 1024 * 1024
    upload_url_seconds: int = 600
    download_url_seconds: int = 300
    # Identity, asked with the caller's own token whether a tenant is the caller's client
    identity_url: str = "http://127.0.0.1:8101"
    identity_timeout_seconds: float = 5.0

    # Golden runs (services/partner/runs). Sandbox credentials are Fernet-encrypted with
    # `credentials_key` (a urlsafe base64 32-byte key); unset, a key derived from
    # service_secret is used (refused in production when that is a placeholder).
    credentials_key: str = Field(default="", repr=False)
    # targets on private addresses (a sandbox on localhost): development and tests only
    allow_private_targets: bool = False
    # the owner's API, run with the partner's sandbox credentials; mocks under this base
    owner_api_url: str = "http://127.0.0.1:8000"
    mock_base_url: str = "http://127.0.0.1:8105/mocks"
    runs_per_hour: int = 30
    run_max_cases: int = 1000
    run_timeout_seconds: float = 10.0
    # A run against a mock sends a credential for that mock alone (mocks/credentials.py),
    # valid this long; mock_base_url is then this service's own address, not the gateway's
    mock_credential_seconds: int = 1800

    # The assistant: answers from retrieval alone unless a model provider (any
    # OpenAI-compatible endpoint, e.g. https://api.openai.com/v1) is configured
    assistant_provider_url: str = ""
    assistant_model: str = "gpt-4o-mini"
    assistant_api_key: str = Field(default="", repr=False)
    assistant_timeout_seconds: float = 30.0
    assistant_per_hour: int = 60

    @property
    def object_store_url(self) -> str:
        return self.storage_url or f"file://{(self.state_dir / 'objects').resolve()}"
