"""Quality's settings (env prefix WEFT_QUALITY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from libs.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEFT_QUALITY_", extra="ignore")

    service_name: str = "quality"
    db_schema: str = "quality"
    state_dir: Path = Path(".weft/quality")
    # file:///folder (default: <state_dir>/objects) or s3://bucket (WEFT_S3_ENDPOINT_URL)
    storage_url: str = ""
    # presigned URLs: uploads and downloads live minutes
    upload_url_seconds: int = 600
    download_url_seconds: int = 300
    # under the gateway's 10 MiB body limit (uploads to the local store pass through it)
    photo_max_bytes: int = 8 * 1024 * 1024
    thumbnail_px: int = 320
    # Identity, asked (with the caller's token) whether an assignee is an inspector
    identity_url: str = "http://127.0.0.1:8101"
    identity_timeout_seconds: float = 5.0
    # The gateway's public address (https://weft.example): GS1 Digital Link URIs (and their
    # QR codes) sit at its root, /01/{gtin}/10/{lot}. None: the address a request came in by.
    public_base_url: str | None = None
    # SSE: a comment line this often keeps proxies from closing an idle stream
    feed_keepalive_seconds: float = 15.0

    @property
    def object_store_url(self) -> str:
        return self.storage_url or f"file://{(self.state_dir / 'objects').resolve()}"
