from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import ApiClient, LoginThrottle, Membership, RefreshToken, Role, User


async def memberships_in(session: AsyncSession, user_id: uuid.UUID) -> list[Membership]:
    rows = await session.scalars(select(Membership).where(Membership.user_id == user_id))
    return list(rows)


async def role_permissions(
    session: AsyncSession, role_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    if not role_ids:
        return {}
    rows = await session.execute(select(Role.id, Role.permissions).where(Role.id.in_(role_ids)))
    return {r.id: list(r.permissions) for r in rows}


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.scalars(stmt)).first()


async def revoke_all_of_user(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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


# --- login throttling (system transactions only) ------------------------------------------

_RECORD_FAILURE = text(
    """
    INSERT INTO login_throttles AS t (key, failures, last_failure_at, locked_until)
    VALUES (:key, 1, clock_timestamp(),
            CASE WHEN 1 >= :lock_after THEN clock_timestamp() + make_interval(secs => :lock) END)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.last_failure_at < clock_timestamp() - make_interval(secs => :window)
                      THEN 1 ELSE t.failures + 1 END,
      last_failure_at = clock_timestamp(),
      locked_until = CASE
        WHEN (CASE WHEN t.last_failure_at < clock_timestamp() - make_interval(secs => :window)
                   THEN 1 ELSE t.failures + 1 END) >= :lock_after
        THEN clock_timestamp() + make_interval(secs => :lock)
        ELSE t.locked_until END
    RETURNING key, failures, last_failure_at, locked_until
    """
)


async def serialize_login(session: AsyncSession, key: str) -> None:
    """One login attempt per account at a time, so a burst cannot outrun the counter."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


async def throttles(session: AsyncSession, keys: list[str]) -> dict[str, LoginThrottle]:
    rows = await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return {r.key: r for r in rows}


async def record_failure(
    session: AsyncSession, key: str, *, lock_after: int, lock_seconds: int, window_seconds: int
) -> tuple[int, datetime | None]:
    """Count a failure atomically; returns (failures in the window, locked_until)."""
    row = (
        await session.execute(
            _RECORD_FAILURE,
            {"key": key, "lock_after": lock_after, "lock": lock_seconds, "window": window_seconds},
        )
    ).one()
    return int(row.failures), row.locked_until


async def clear_throttle(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
