"""Data migrations of identity's system roles reach tenants made before them (seeding keeps
existing roles as they are)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tools.seed import SeedContext
from tools.stack import Stack

VERSIONS = Path(__file__).parents[2] / "services/identity/migrations/versions"


def _migration(name: str) -> ModuleType:
    path = next(VERSIONS.glob(f"*-{name}.py"))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _perms_after_upgrade(
    conn: Connection, migration: str, tenant_id: str, roles: list[str], permission: str
) -> dict[str, list[str]]:
    """Take `permission` away from the tenant's `roles` (as a tenant made before the
    templates gave it), run the migration's upgrade, read the permissions back."""
    conn.execute(text("SELECT set_config('weft.system', 'on', true)"))
    where = " WHERE tenant_id = CAST(:t AS uuid) AND name = ANY(:roles)"
    conn.execute(
        text("UPDATE identity.roles SET permissions = permissions - :p" + where),
        {"t": tenant_id, "roles": roles, "p": permission},
    )
    with Operations.context(MigrationContext.configure(conn)):
        _migration(migration).upgrade()
    rows = conn.execute(
        text("SELECT name, permissions FROM identity.roles" + where),
        {"t": tenant_id, "roles": roles},
    )
    return {r.name: list(r.permissions) for r in rows}


@pytest.mark.parametrize(
    ("migration", "tenant", "roles", "permission"),
    [
        ("0009_inspectors_read_users", "paco", ["INSPECTOR", "QA_LEAD"], "users:read"),
        ("0010_client_admins_read_audit", "luxury-brand-x", ["CLIENT_ADMIN"], "audit:read"),
    ],
)
async def test_roles_of_existing_tenants_get_the_permission(
    stack: Stack, seed: SeedContext, migration: str, tenant: str, roles: list[str], permission: str
) -> None:
    dsn = stack.admin_dsn().replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(dsn)
    tenant_id = seed.data["tenants"][tenant]
    try:
        async with engine.connect() as conn:
            trans = await conn.begin()
            try:
                perms = await conn.run_sync(
                    _perms_after_upgrade, migration, tenant_id, roles, permission
                )
            finally:
                await trans.rollback()  # the shared demo network stays as it was
    finally:
        await engine.dispose()
    assert sorted(perms) == sorted(roles)
    assert all(p.count(permission) == 1 for p in perms.values())
