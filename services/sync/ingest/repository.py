"""The event log's writes: each event once, by its id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.sync.models import Event


async def insert_new(
    session: AsyncSession, events: Sequence[dict[str, Any]], *, source: str
) -> set[uuid.UUID]:
    """Insert the events not stored before; returns the ids of those inserted now."""
    rows = [{**e, "source": source} for e in events]
    inserted = await session.execute(
        insert(Event).values(rows).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id)
    )
    return set(inserted.scalars().all())
