"""Background work on photos: strip EXIF (location included), keep the orientation, and make
a thumbnail. A plain async function of (db, store, photo id), so a job runner can call it."""

from __future__ import annotations

import asyncio
import io
import uuid

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db import Database
from libs.contracts.events.quality import PhotoAdded
from services.quality import events
from services.quality.models import Photo
from services.quality.storage import EvidenceStore


def clean_and_thumbnail(data: bytes, thumb_px: int) -> tuple[bytes, bytes, int, int, str]:
    """(stripped image, JPEG thumbnail, width, height, content type)."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        upright = ImageOps.exif_transpose(img) or img
        fmt = "PNG" if img.format == "PNG" else "JPEG"
        clean = upright.convert("RGB") if fmt == "JPEG" else upright
        out = io.BytesIO()
        # a new image without `exif=`: no GPS, no camera metadata
        clean.save(out, format=fmt, quality=90)
        thumb = upright.convert("RGB")
        thumb.thumbnail((thumb_px, thumb_px))
        tout = io.BytesIO()
        thumb.save(tout, format="JPEG", quality=80)
        return (
            out.getvalue(),
            tout.getvalue(),
            upright.width,
            upright.height,
            "image/png" if fmt == "PNG" else "image/jpeg",
        )


async def process_photo(db: Database, store: EvidenceStore, photo_id: uuid.UUID) -> bool:
    """Process one uploaded photo; False when there is nothing to do (processed already, or
    held by another store). It waits for a request still holding the row (an annotation
    saved at the same moment): the job runner hands each job to one worker anyway."""
    async with db.transaction(None, system=True) as session:
        photo = (
            await session.scalars(
                select(Photo)
                .where(
                    Photo.id == photo_id,
                    Photo.status == "uploaded",
                    Photo.storage == store.settings.object_store_url,
                )
                .with_for_update()
            )
        ).one_or_none()
        if photo is None:
            return False
        try:
            raw = await store.get(photo.key)
            clean, thumb, width, height, ctype = await asyncio.to_thread(
                clean_and_thumbnail, raw, store.settings.thumbnail_px
            )
            await store.put(photo.key, clean, ctype)
            thumb_key = photo.key.rsplit(".", 1)[0] + "_thumb.jpg"
            await store.put(thumb_key, thumb, "image/jpeg")
        except (OSError, ValueError, KeyError) as exc:
            # not an image Pillow reads, or the object is gone: retrying will not help
            photo.status = "failed"
            photo.error = f"{type(exc).__name__}: {exc}"[:500]
            return True
        photo.thumb_key = thumb_key
        photo.width, photo.height, photo.size = width, height, len(clean)
        photo.status = "processed"
        await session.flush()
        await announce_processed(session, photo)
    return True


async def announce_processed(session: AsyncSession, photo: Photo) -> None:
    await events.emit(
        session,
        PhotoAdded(
            photo_id=photo.id,
            inspection_id=photo.inspection_id,
            defect_id=photo.defect_id,
            lot_id=photo.lot_id,
            caption=photo.caption,
            annotations=photo.annotations,
        ),
        tenant_id=photo.tenant_id,
        subject=f"photos/{photo.id}",
        customer_tenant_id=photo.customer_tenant_id,
        plant_id=photo.plant_id,
        lot_id=photo.lot_id,
    )
