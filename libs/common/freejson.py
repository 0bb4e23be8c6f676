"""Free-form JSON fields (a plant's address, metadata) with a bounded depth and size.

A free-form object is stored as JSONB and sent back as it came; without bounds a client
can nest it hundreds of levels deep (the response then fails to serialise: a 500) or make
it megabytes large. Use the annotated types on input schemas:

    class PlantCreate(Body):
        address: FreeJson = Field(default_factory=dict)

`free_json(max_depth=..., max_bytes=...)` makes a type with other bounds.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, WithJsonSchema

MAX_DEPTH = 16
MAX_BYTES = 16 * 1024


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, `{}` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            depth += 1
            stack.extend((v, depth) for v in item.values())
        elif isinstance(item, list):
            depth += 1
            stack.extend((v, depth) for v in item)
        deepest = max(deepest, depth)
    return deepest


def _bounded(max_depth: int, max_bytes: int) -> AfterValidator:
    def check(value: Any) -> Any:
        depth = json_depth(value)
        if depth > max_depth:
            raise ValueError(f"nested {depth} levels deep; at most {max_depth} are allowed")
        size = len(orjson.dumps(value))
        if size > max_bytes:
            raise ValueError(f"{size} bytes as JSON; at most {max_bytes} are allowed")
        return value

    return AfterValidator(check)


def _schema(max_depth: int, max_bytes: int) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": True,
            "description": (
                f"Free-form JSON object, at most {max_depth} levels deep and {max_bytes} "
                "bytes as JSON."
            ),
            "x-max-depth": max_depth,
            "x-max-bytes": max_bytes,
        }
    )


def free_json(*, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """An annotated `dict[str, Any]` refused (422) beyond `max_depth` levels or `max_bytes`."""
    return Annotated[dict[str, Any], _bounded(max_depth, max_bytes), _schema(max_depth, max_bytes)]


FreeJson = Annotated[dict[str, Any], _bounded(MAX_DEPTH, MAX_BYTES), _schema(MAX_DEPTH, MAX_BYTES)]
