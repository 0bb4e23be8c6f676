"""Event-type filters: exact names, `prefix.*` wildcards and `*` (the rule is libs.contracts')."""

from __future__ import annotations

import re
from collections.abc import Iterable

from libs.contracts import type_matches

FILTER_RE = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")

__all__ = ["FILTER_RE", "any_matches", "type_matches"]


def any_matches(patterns: Iterable[str], event_type: str) -> bool:
    return any(type_matches(p, event_type) for p in patterns)
