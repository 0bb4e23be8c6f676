"""Evidence storage: the kit's presigned object store (libs.common.storage), with quality's
settings; the local store's URLs are served at /objects/{key} (photos/objects.py)."""

from __future__ import annotations

from libs.common.storage import Presigned, ServiceStore, UrlSigner
from services.quality.config import Settings

__all__ = ["EvidenceStore", "Presigned", "sign_public_photo"]

PUBLIC_PHOTO_SECONDS = 3600
NAMESPACE = "quality"


def sign_public_photo(base: str, key: str, settings: Settings) -> str:
    """A passport page's photo: a longer-lived signed GET served by quality."""
    signer = UrlSigner(settings.service_secret, NAMESPACE)
    return signer.url(base, "GET", key, PUBLIC_PHOTO_SECONDS).url


class EvidenceStore(ServiceStore[Settings]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, NAMESPACE)
