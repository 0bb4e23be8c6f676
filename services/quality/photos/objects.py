"""GET/PUT /objects/{key}: the local store's presigned URLs, served by quality (the kit's
route over `app.state.evidence`). With S3, uploads and downloads go to the bucket; only
passport-page photos are served from here."""

from __future__ import annotations

from libs.common.storage import objects_router

router = objects_router("evidence")
