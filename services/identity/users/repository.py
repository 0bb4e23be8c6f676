"""Every query on users and memberships. RLS limits rows to the caller's tenant and its
client tenants; the explicit tenant filters say which of those a call means."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import Membership, Role, User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> User | None:
    stmt = select(User).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    return (await session.scalars(stmt)).first()


def list_stmt(tenant_id: uuid.UUID, email: str | None = None) -> Select[User]:
    stmt = select(User).where(User.tenant_id == tenant_id)
    if email:
        stmt = stmt.where(func.lower(User.email) == email.lower())
    return stmt


async def list_page(
    session: AsyncSession, tenant_id: uuid.UUID, email: str | None, page: PageParams
) -> tuple[list[User], str | None]:
    rows, cursor = await paginate(session, list_stmt(tenant_id, email), page, keys=[User.id])
    return list(rows), cursor


async def memberships_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Membership]]:
    out: dict[uuid.UUID, list[Membership]] = {u: [] for u in user_ids}
    if not user_ids:
        return out
    rows = await session.scalars(
        select(Membership).where(Membership.user_id.in_(user_ids)).order_by(Membership.created_at)
    )
    for m in rows:
        out[m.user_id].append(m)
    return out


async def roles_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, names: Sequence[str]
) -> dict[str, Role]:
    rows = await session.scalars(
        select(Role).where(Role.tenant_id == tenant_id, Role.name.in_(list(names)))
    )
    return {r.name: r for r in rows}


async def find_membership(
    session: AsyncSession, user_id: uuid.UUID, role_name: str, plant_id: uuid.UUID | None
) -> Membership | None:
    stmt = select(Membership).where(
        Membership.user_id == user_id,
        Membership.role_name == role_name,
        Membership.plant_id.is_(None) if plant_id is None else Membership.plant_id == plant_id,
    )
    return (await session.scalars(stmt)).first()


async def delete_memberships(
    session: AsyncSession, user_id: uuid.UUID, role_name: str, plant_id: uuid.UUID | None
) -> int:
    stmt = delete(Membership).where(
        Membership.user_id == user_id, Membership.role_name == role_name
    )
    if plant_id is not None:
        stmt = stmt.where(Membership.plant_id == plant_id)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def first_user(session: AsyncSession, tenant_id: uuid.UUID) -> User:
    stmt = select(User).where(User.tenant_id == tenant_id).order_by(User.id).limit(1)
    return (await session.scalars(stmt)).one()


async def role_names(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    stmt = select(Role.name).where(Role.tenant_id == tenant_id).order_by(Role.name)
    return list((await session.scalars(stmt)).all())
