"""What a mock answers, from the spec alone (pure: no database).

- `match(doc, method, path)`: the spec operation a request names (path templates matched
  segment by segment, literal segments first).
- `validate(...)`: the request checked against the spec with openapi-core; the validator
  of a spec version is built once and cached (building it validates the whole document).
- `answer(doc, operation)`: the first success response, its body from the spec's example,
  its first named example, or generated from its schema.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from services.partner.diff.refs import Document

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
HOST = "http://mock.invalid"
MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Operation:
    template: str
    method: str
    operation_id: str | None
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str | None
    body: Any


def match(doc: dict[str, Any], method: str, path: str) -> Operation | None:
    method = method.lower()
    segments = [s for s in path.split("/") if s]
    best: tuple[int, Operation] | None = None
    for template, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict) or not isinstance(item.get(method), dict):
            continue
        parts = [s for s in template.split("/") if s]
        if len(parts) != len(segments):
            continue
        literal = 0
        for part, seg in zip(parts, segments, strict=True):
            if re.fullmatch(r"\{[^}]+\}", part):
                continue
            if part != seg:
                break
            literal += 1
        else:
            op = item[method]
            found = Operation(template, method, op.get("operationId"), op)
            if best is None or literal > best[0]:
                best = (literal, found)
    return best[1] if best else None


class _Request:
    """openapi-core's Request protocol over what the mock endpoint received."""

    def __init__(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        self.method = method.lower()
        self.host_url = HOST
        self.path = path
        self.full_url_pattern = HOST + path
        self.body: bytes | None = body or None
        self.content_type = headers.get("content-type", "application/json").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(list(headers.items())),
            cookie=ImmutableMultiDict(),
        )


_VALIDATORS: OrderedDict[str, OpenAPI] = OrderedDict()
_CACHE_SIZE = 32


def _served(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the mock serves it: at its own root, whatever its servers say."""
    served = copy.deepcopy(doc)
    served["servers"] = [{"url": "/"}]
    for item in (served.get("paths") or {}).values():
        if isinstance(item, dict):
            item.pop("servers", None)
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    item[method].pop("servers", None)
    return served


def cached_validator(key: str) -> OpenAPI | None:
    """The validator already built for `key`, if any (building one takes seconds)."""
    return _VALIDATORS.get(key)


def validator(key: str, doc: dict[str, Any]) -> OpenAPI:
    """The openapi-core validator of a spec version (raises when the document is invalid)."""
    found = _VALIDATORS.get(key)
    if found is None:
        found = OpenAPI.from_dict(_served(doc))
        _VALIDATORS[key] = found
        if len(_VALIDATORS) > _CACHE_SIZE:
            _VALIDATORS.popitem(last=False)
    else:
        _VALIDATORS.move_to_end(key)
    return found


def validate(
    api: OpenAPI,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> list[dict[str, str]]:
    """The request's validation errors, as `{field, message}` (empty when valid)."""
    result = api.unmarshal_request(_Request(method, path, query, headers, body))
    found: list[dict[str, str]] = []
    for error in result.errors:
        cause = error.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            where = "body" if "Body" in type(error).__name__ else getattr(error, "name", "value")
            for item in schema_errors:
                field = "/".join(str(p) for p in item.path)
                found.append(
                    {"field": f"{where}/{field}" if field else where, "message": item.message}
                )
            continue
        name = getattr(error, "name", None) or getattr(cause, "name", None)
        location = "body" if "Body" in type(error).__name__ else "request"
        found.append({"field": str(name or location), "message": str(error)})
    return found


def answer(doc: dict[str, Any], operation: Operation) -> Answer:
    document = Document(doc)
    responses = operation.spec.get("responses") or {}
    codes = sorted(str(c) for c in responses)
    chosen = next((c for c in codes if c.isdigit() and c.startswith("2")), None)
    chosen = chosen or next((c for c in codes if c.upper() == "2XX"), None)
    chosen = chosen or ("default" if "default" in codes else None)
    if chosen is None:
        return Answer(200, None, None)
    status = int(chosen) if chosen.isdigit() else 200
    response = document.deref(responses.get(chosen) if chosen in responses else None) or {}
    content = response.get("content") if isinstance(response, dict) else None
    if status == 204 or not isinstance(content, dict) or not content:
        return Answer(status, None, None)
    media = next((m for m in content if "json" in m), next(iter(content)))
    body = content[media] if isinstance(content[media], dict) else {}
    if "example" in body:
        return Answer(status, media, body["example"])
    examples = body.get("examples")
    if isinstance(examples, dict) and examples:
        first = document.deref(next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            return Answer(status, media, first["value"])
    return Answer(status, media, generate(document, body.get("schema"), 0, frozenset()))


_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


def generate(document: Document, schema: Any, depth: int, seen: frozenset[str]) -> Any:
    """A value that the schema accepts, plainly (first enum value, minimum, ...)."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        if ref in seen or depth > MAX_DEPTH:
            return None
        seen = seen | {ref}
    schema = document.deref(schema)
    if not isinstance(schema, dict):
        return None
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = generate(document, part, depth + 1, seen)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list):
            for option in options:
                if (document.deref(option) or {}).get("type") != "null":
                    return generate(document, option, depth + 1, seen)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        if depth > MAX_DEPTH:
            return {}
        props = schema.get("properties") or {}
        return {
            name: generate(document, sub, depth + 1, seen) for name, sub in list(props.items())[:50]
        }
    if kind == "array":
        if depth > MAX_DEPTH:
            return []
        item = generate(document, schema.get("items"), depth + 1, seen)
        return [item] * max(1, min(int(schema.get("minItems") or 1), 3))
    if kind == "string":
        text = _FORMATS.get(str(schema.get("format")), "string")
        return text.ljust(int(schema.get("minLength") or 0), "x")
    if kind == "integer":
        return int(schema.get("minimum", 0) or 0)
    if kind == "number":
        return float(schema.get("minimum", 0) or 0)
    if kind == "boolean":
        return True
    return None
