from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Invite


async def by_token_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    stmt = select(Invite).where(Invite.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()
