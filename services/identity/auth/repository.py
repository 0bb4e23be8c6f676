from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import ApiClient, Membership, RefreshToken, Role, User


async def memberships_in(session: AsyncSession, user_id: uuid.UUID) -> list[Membership]:
    rows = await session.scalars(select(Membership).where(Membership.user_id == user_id))
    return list(rows)


async def permissions_of(session: AsyncSession, role_ids: list[uuid.UUID]) -> list[str]:
    if not role_ids:
        return []
    rows = await session.scalars(select(Role.permissions).where(Role.id.in_(role_ids)))
    return sorted({p for perms in rows for p in perms})


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def api_client_by_client_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    return (
        await session.scalars(select(ApiClient).where(ApiClient.client_id == client_id))
    ).first()


async def record_login(
    session: AsyncSession, user_id: uuid.UUID, password_hash: str | None
) -> None:
    values: dict[str, object] = {"last_login_at": func.now()}
    if password_hash:
        values["password_hash"] = password_hash
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
