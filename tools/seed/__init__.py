"""Demo data, created through the public APIs of the running services (development only).

Each service's part lives in its own module here and is run in order; every step is
idempotent, so a second `make run` finds the demo in place.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "Weft-demo-2026!"  # development demo only; the seed refuses production

# Order matters: identity creates the tenants and users the others act as.
PARTS = ("identity", "production", "quality", "catalog", "partner", "sync")


@dataclass
class SeedContext:
    """What one part leaves for the next: urls, tenant ids, tokens by login name."""

    service_urls: dict[str, str]
    gateway_url: str
    operator_admin_password: str
    data: dict[str, Any] = field(default_factory=dict)
    # identity's local mail folder (magic links are read from it), when the stack has one
    mail_dir: str | None = None
    logins: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # who, email, tenant, space


def seed_all(ctx: SeedContext) -> SeedContext:
    for part in PARTS:
        try:
            module = importlib.import_module(f"tools.seed.{part}")
        except ModuleNotFoundError:
            continue
        module.seed(ctx)
    return ctx
