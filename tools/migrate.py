"""`python -m tools.migrate <service>`: migrate one service's schema with its own role.

Reads WEFT_<SERVICE>_DATABASE_URL, as the deployment's migration job provides it. After the
service's Alembic tree, it prepares the job runner's tables (procrastinate's and the kit's
`jobs`) in the same schema, so replicas start without DDL (they would create them too).
"""

from __future__ import annotations

import asyncio
import os
import sys

from libs.common.migrations import upgrade
from tools.services import SERVICES, ServiceSpec


def migrate_service(spec: ServiceSpec, url: str) -> None:
    if spec.migrations_dir.exists():
        upgrade(spec.migrations_dir, url)
        asyncio.run(_prepare_jobs(url, spec.name))


async def _prepare_jobs(url: str, schema: str) -> None:
    from libs.common.db import Database
    from libs.common.jobs import ensure_jobs_schema

    db = Database(url, schema=schema, pool_size=1, max_overflow=0)
    try:
        await ensure_jobs_schema(db.engine, schema)
    finally:
        await db.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.migrate <service>", file=sys.stderr)
        return 2
    spec = next((s for s in SERVICES if s.name == argv[0]), None)
    if spec is None:
        print(f"unknown service {argv[0]!r}", file=sys.stderr)
        return 2
    url = os.environ.get(f"{spec.env_prefix}DATABASE_URL")
    if not url:
        print(f"{spec.env_prefix}DATABASE_URL is not set", file=sys.stderr)
        return 2
    migrate_service(spec, url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
