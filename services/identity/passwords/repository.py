from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import PasswordReset


async def by_token_hash(session: AsyncSession, token_hash: str) -> PasswordReset | None:
    stmt = select(PasswordReset).where(PasswordReset.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()


async def latest_for(session: AsyncSession, user_id: uuid.UUID) -> PasswordReset | None:
    stmt = (
        select(PasswordReset)
        .where(PasswordReset.user_id == user_id)
        .order_by(PasswordReset.created_at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def spend_all_of(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Every outstanding link of the user stops working (one password, one live link)."""
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
