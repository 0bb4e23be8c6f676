"""Evidence files: the kit's presigned object store (libs.common.storage) with partner's
settings. The local store's URLs are served at /objects/{key} (the kit's route); with S3
the bucket serves them."""

from __future__ import annotations

from libs.common.storage import ServiceStore
from services.partner.config import Settings


class EvidenceFiles(ServiceStore[Settings]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, "partner")
