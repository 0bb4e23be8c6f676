"""Data migrations of identity's system roles reach tenants made before them (seeding keeps
existing roles as they are)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

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


def _perms_after_upgrade(conn: Connection, tenant_id: str) -> dict[str, list[str]]:
    """Take users:read away from the tenant's INSPECTOR and QA_LEAD (as a tenant made before
    the templates gave it), run the migration's upgrade, read the permissions back."""
    conn.execute(text("SELECT set_config('weft.system', 'on', true)"))
    conn.execute(
        text(
            "UPDATE identity.roles SET permissions = permissions - 'users:read'"
            " WHERE tenant_id = CAST(:t AS uuid) AND name IN ('INSPECTOR', 'QA_LEAD')"
        ),
        {"t": tenant_id},
    )
    with Operations.context(MigrationContext.configure(conn)):
        _migration("0009_inspectors_read_users").upgrade()
    rows = conn.execute(
        text(
            "SELECT name, permissions FROM identity.roles"
            " WHERE tenant_id = CAST(:t AS uuid) AND name IN ('INSPECTOR', 'QA_LEAD')"
        ),
        {"t": tenant_id},
    )
    return {r.name: list(r.permissions) for r in rows}


async def test_inspectors_and_qa_leads_of_existing_tenants_read_users(
    stack: Stack, seed: SeedContext
) -> None:
    dsn = stack.admin_dsn().replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as conn:
            trans = await conn.begin()
            try:
                perms = await conn.run_sync(_perms_after_upgrade, seed.data["tenants"]["paco"])
            finally:
                await trans.rollback()  # the shared demo network stays as it was
    finally:
        await engine.dispose()
    assert set(perms) == {"INSPECTOR", "QA_LEAD"}
    assert all(p.count("users:read") == 1 for p in perms.values())
