"""Models and migrations agree: for every service, Alembic's autogenerate finds nothing to
change between the service's models and its schema migrated by its own Alembic tree."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from libs.common.migrations import include_object
from tools.services import ServiceSpec, implemented
from tools.stack import Stack

MIGRATED = [s for s in implemented() if s.migrations_dir.exists()]


def _diff(connection: Connection, metadata: MetaData, schema: str) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, _p: type_ != "schema" or name == schema,
            "include_object": include_object,
            "compare_type": True,
            "compare_server_default": False,
            "version_table_schema": schema,
        },
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("spec", MIGRATED, ids=[s.name for s in MIGRATED])
async def test_models_match_the_migrated_schema(spec: ServiceSpec, database: Stack) -> None:
    metadata: MetaData = importlib.import_module(f"services.{spec.name}.models").Base.metadata
    # Models name their schema; with the service schema as the connection's default, Alembic
    # would reflect its tables as schema None and see every table as new. Start the
    # connection elsewhere, so the service schema is compared by name.
    engine = create_async_engine(
        database.service_dsn(spec.name),
        connect_args={"server_settings": {"search_path": "pg_catalog"}},
    )
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff, metadata, spec.name)
    finally:
        await engine.dispose()
    assert diff == [], f"{spec.name}: models and migrations differ:\n" + "\n".join(map(repr, diff))


def test_every_migrated_service_is_checked() -> None:
    assert {s.name for s in MIGRATED} >= {"identity", "production", "sync"}
