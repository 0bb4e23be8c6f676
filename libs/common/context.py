"""The public path prefix of the current request (`/v1/production`), set from the gateway's
`X-Forwarded-Prefix`, so `Location` headers and problem `instance`s name the path a client
called, not the service's own path."""

from __future__ import annotations

import re
from contextvars import ContextVar

public_prefix_var: ContextVar[str] = ContextVar("public_prefix", default="")

# What a prefix may look like: the gateway sends `/v1/<service>`; anything else is ignored.
PREFIX = re.compile(r"/v1/[a-z][a-z0-9-]{0,62}")


def valid_prefix(raw: str | None) -> str:
    return raw if raw is not None and PREFIX.fullmatch(raw) else ""


def public_path(path: str | None) -> str | None:
    """`path` (a service path such as `/lots/1`) as the client called it."""
    prefix = public_prefix_var.get()
    if path is None or not prefix or not path.startswith("/") or path.startswith(prefix + "/"):
        return path
    return prefix + path
