"""Declarative templates (templates/*.yaml): the system roles and the industry presets.

Loaded once per process and cached; they change with a deploy, not at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PERMISSION_RE = re.compile(r"^(\*|[a-z][a-z0-9_]{0,62}):(\*|[a-z][a-z0-9_]{0,62})$")
SPACES = ("PROVIDER", "CLIENT", "DEVELOPER", "ACCOUNTING")


@dataclass(frozen=True)
class RoleTemplate:
    name: str
    space: str
    permissions: tuple[str, ...]
    description: str | None = None
    kinds: tuple[str, ...] = ("operator", "provider")


@dataclass(frozen=True)
class IndustryTemplate:
    industry: str
    description: str
    features: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    owner_role: str = "ADMIN"
    roles: tuple[RoleTemplate, ...] = ()


def _role(name: str, body: dict[str, Any]) -> RoleTemplate:
    perms = tuple(body.get("permissions") or ())
    for p in perms:
        if not PERMISSION_RE.match(p):
            raise ValueError(f"template role {name}: bad permission {p!r}")
    if body["space"] not in SPACES:
        raise ValueError(f"template role {name}: bad space {body['space']!r}")
    return RoleTemplate(
        name=name,
        space=body["space"],
        permissions=perms,
        description=body.get("description"),
        kinds=tuple(body.get("kinds") or ("operator", "provider")),
    )


@cache
def system_roles() -> tuple[RoleTemplate, ...]:
    raw = yaml.safe_load((TEMPLATE_DIR / "system.yaml").read_text())
    return tuple(_role(n, b) for n, b in raw["roles"].items())


def system_roles_for(kind: str) -> tuple[RoleTemplate, ...]:
    return tuple(r for r in system_roles() if kind in r.kinds)


@cache
def industries() -> dict[str, IndustryTemplate]:
    out: dict[str, IndustryTemplate] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        if path.stem == "system":
            continue
        raw = yaml.safe_load(path.read_text())
        out[raw["industry"]] = IndustryTemplate(
            industry=raw["industry"],
            description=raw.get("description", ""),
            features=tuple(raw.get("features") or ()),
            defaults=dict(raw.get("defaults") or {}),
            owner_role=raw.get("owner_role", "ADMIN"),
            roles=tuple(_role(n, b) for n, b in (raw.get("roles") or {}).items()),
        )
    return out
