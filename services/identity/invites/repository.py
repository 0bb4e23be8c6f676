from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Invite, MagicLink


async def by_token_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    stmt = select(Invite).where(Invite.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()


async def magic_link_by_token_hash(session: AsyncSession, token_hash: str) -> MagicLink | None:
    stmt = select(MagicLink).where(MagicLink.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()


async def get(session: AsyncSession, invite_id: uuid.UUID) -> Invite | None:
    return await session.get(Invite, invite_id)


async def magic_invite_for(
    session: AsyncSession, tenant_id: uuid.UUID, email: str
) -> Invite | None:
    """The newest magic-link invite of this email into this tenant, not revoked."""
    stmt = (
        select(Invite)
        .where(
            Invite.tenant_id == tenant_id,
            func.lower(Invite.email) == email.lower(),
            Invite.login == "magic_link",
            Invite.revoked_at.is_(None),
        )
        .order_by(Invite.created_at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def latest_magic_link(session: AsyncSession, invite_id: uuid.UUID) -> MagicLink | None:
    stmt = (
        select(MagicLink)
        .where(MagicLink.invite_id == invite_id)
        .order_by(MagicLink.created_at.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()
