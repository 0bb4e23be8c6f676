"""Create the platform operator, its system roles, its ADMIN user and the first signing key.

    python -m services.identity.bootstrap --name "Pack & Polish" --slug pack-polish \
        --admin-email admin@packpolish.example --admin-password ...

Idempotent: what exists is kept (the admin's password is reset to the one given).
Runs in one system transaction with the settings from the environment (WEFT_IDENTITY_*).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from libs.common.db import Database
from services.identity import keys, security
from services.identity.config import Settings
from services.identity.models import Tenant
from services.identity.tenants import repository as tenants_repo
from services.identity.tenants.service import seed_roles
from services.identity.users import repository as users_repo
from services.identity.users import service as users

log = logging.getLogger("weft.identity.bootstrap")
ACTOR = "system:bootstrap"


async def bootstrap(
    settings: Settings, *, name: str, slug: str, admin_email: str, admin_password: str
) -> None:
    db = Database(settings.database_url, schema=settings.db_schema, pool_size=1, max_overflow=0)
    try:
        async with db.transaction(system=True) as s:
            tenant = await tenants_repo.get_by_slug(s, slug)
            if tenant is None:
                tenant = Tenant(kind="operator", name=name, slug=slug, features=[], defaults={})
                s.add(tenant)
                await s.flush()
            elif tenant.kind != "operator":
                raise SystemExit(f"tenant {slug} exists and is not the operator")
            await seed_roles(s, tenant)
            admin = await users_repo.get_by_email(s, tenant.id, admin_email)
            if admin is None:
                roles = await users.resolve_roles(s, None, tenant, ["ADMIN"])
                await users.create_user(
                    s,
                    actor=ACTOR,
                    tenant=tenant,
                    email=admin_email,
                    name="Platform administrator",
                    roles=roles,
                    password=admin_password,
                )
            elif not await security.verify_password(admin.password_hash, admin_password):
                admin.password_hash = await security.hash_password(admin_password)
                admin.status = "active"
            made = await keys.ensure_key(s, settings)
        print(f"operator {slug} ready ({tenant.id}); signing key {'created' if made else 'kept'}")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.identity.bootstrap")
    parser.add_argument("--name", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--admin-password", required=True)
    args = parser.parse_args()
    asyncio.run(
        bootstrap(
            Settings(),
            name=args.name,
            slug=args.slug,
            admin_email=args.admin_email,
            admin_password=args.admin_password,
        )
    )


if __name__ == "__main__":
    main()
