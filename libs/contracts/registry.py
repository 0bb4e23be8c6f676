"""Every event type by name: the models of all modules under libs/contracts/events/.

Modules are discovered, not listed, so a new producer adds its own module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from libs.contracts import events as _events_pkg
from libs.contracts.base import _MODELS, EventModel

FILTER_WILDCARD = "*"


@cache
def _load() -> dict[str, type[EventModel]]:
    for mod in pkgutil.iter_modules(_events_pkg.__path__):
        importlib.import_module(f"{_events_pkg.__name__}.{mod.name}")
    return _MODELS


def event_models() -> dict[str, type[EventModel]]:
    """type name -> model, sorted by name."""
    return dict(sorted(_load().items()))


def event_types() -> list[str]:
    return sorted(_load())


def model_for(event_type: str) -> type[EventModel] | None:
    return _load().get(event_type)


def type_matches(pattern: str, event_type: str) -> bool:
    """Exact names, `prefix.*` wildcards and `*`."""
    if pattern == FILTER_WILDCARD:
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def known_types_matching(pattern: str) -> list[str]:
    """The known event types a filter selects (empty: the filter names nothing that exists)."""
    return [t for t in event_types() if type_matches(pattern, t)]
