"""`python -m tools.migrate <service>`: migrate one service's schema with its own role.

Reads WEFT_<SERVICE>_DATABASE_URL, as the deployment's migration job provides it.
"""

from __future__ import annotations

import os
import sys

from libs.common.migrations import upgrade
from tools.services import SERVICES


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
    if spec.migrations_dir.exists():
        upgrade(spec.migrations_dir, url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
