"""Reading an uploaded spec: JSON or YAML, size-limited, validated as OpenAPI 3.0 / 3.1.

Pure functions (no database), so the diff engine's tests and the demo seeding can use them.
YAML is read with the safe loader and without aliases (an alias bomb expands a few bytes into
gigabytes); `$ref`s must stay inside the document (an external one would make the validator
fetch a URL or read a file on our side).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import openapi_spec_validator
import orjson
import yaml

JSON_TYPES = ("application/json", "application/vnd.oai.openapi+json")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/vnd.oai.openapi")
MAX_ERRORS = 20
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# The OpenAPI Initiative's JSON Schemas of 3.0 and 3.1 documents (as openapi-spec-validator
# ships them), checked by jsonschema-rs: a 1.7 MB spec in a fraction of a second, where the
# pure-Python validator takes tens of seconds.
_SCHEMAS = Path(openapi_spec_validator.__file__).parent / "resources" / "schemas"


@cache
def _validator(major_minor: str) -> Any:
    schema = orjson.loads((_SCHEMAS / f"v{major_minor}" / "schema.json").read_bytes())
    return jsonschema_rs.validator_for(schema)


class SpecProblem(ValueError):
    """What is wrong with a document; `errors` are (field, message) pairs."""

    def __init__(self, code: str, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True, slots=True)
class ParsedSpec:
    document: dict[str, Any]
    format: str
    openapi_version: str
    title: str
    api_version: str
    size_bytes: int
    sha256: str
    operation_count: int


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise SpecProblem("yaml_alias", "YAML aliases (*name) are not accepted")
        return super().compose_node(parent, index)


def media_format(content_type: str | None) -> str | None:
    base = (content_type or "").split(";")[0].strip().lower()
    if base in JSON_TYPES:
        return "json"
    if base in YAML_TYPES:
        return "yaml"
    return None


def load(raw: bytes, fmt: str) -> Any:
    try:
        if fmt == "json":
            return orjson.loads(raw)
        text = raw.decode("utf-8")
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except SpecProblem:
        raise
    except (orjson.JSONDecodeError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise SpecProblem(f"invalid_{fmt}", f"The body is not valid {fmt.upper()}: {exc}") from None


def _external_refs(node: Any, path: str, found: list[tuple[str, str]]) -> None:
    stack: list[tuple[Any, str]] = [(node, path)]
    while stack and len(found) < MAX_ERRORS:
        value, where = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found.append((f"{where}/$ref", f"external reference {ref!r}"))
            stack.extend((v, f"{where}/{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(value))


def count_operations(document: dict[str, Any]) -> int:
    paths = document.get("paths") or {}
    if not isinstance(paths, dict):
        return 0
    return sum(
        1
        for item in paths.values()
        if isinstance(item, dict)
        for method in item
        if method in METHODS
    )


def parse(raw: bytes, fmt: str) -> ParsedSpec:
    """Parse and validate; raises SpecProblem with a stable code."""
    document = load(raw, fmt)
    if not isinstance(document, dict):
        raise SpecProblem("not_openapi", "An OpenAPI document is a JSON / YAML object")
    version = document.get("openapi")
    if not isinstance(version, str) or not (version.startswith(("3.0.", "3.1."))):
        raise SpecProblem(
            "unsupported_openapi_version",
            "Only OpenAPI 3.0.x and 3.1.x documents are accepted (the `openapi` field)",
            [("openapi", f"got {version!r}")],
        )
    refs: list[tuple[str, str]] = []
    _external_refs(document, "", refs)
    if refs:
        raise SpecProblem("external_ref", "References must point inside the document (#/...)", refs)
    errors: list[tuple[str, str]] = []
    for err in _validator(version[:3]).iter_errors(document):
        where = "".join(
            "/" + str(p).replace("~", "~0").replace("/", "~1") for p in err.instance_path
        )
        errors.append((where or "(document)", err.message[:500]))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise SpecProblem("invalid_openapi", f"Not a valid OpenAPI {version} document", errors)
    info = document.get("info") or {}
    return ParsedSpec(
        document=document,
        format=fmt,
        openapi_version=version,
        title=str(info.get("title", ""))[:500],
        api_version=str(info.get("version", ""))[:100],
        size_bytes=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        operation_count=count_operations(document),
    )
