"""One service's OpenAPI document, as generated SDKs need it.

FastAPI's own document is the start; on top of it, for every operation:
- every error response is `application/problem+json` with the one `Problem` schema
  (FastAPI's `HTTPValidationError` is gone), and lists its problem codes (`x-problem-codes`,
  the description, one example per code): the codes the route declared with
  `libs.common.errors.errors(...)`, plus those the kit itself can answer there (400
  `invalid_json` and `invalid_cursor`, 401, 403, 404, 409, 412, 413, 422);
- `Idempotency-Key` is a parameter of authenticated POSTs and `If-Match` of the writes that
  check it; `ETag`, `Location`, `Idempotent-Replayed` and `Retry-After` are response headers;
- `x-weft-spaces` and `x-weft-permission` come from the route's real check, the kit's
  `require(...)` dependency, so the published access can never drift from the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from libs.common.auth import Space
from libs.common.errors import (
    PROBLEM_JSON,
    PROBLEM_REF,
    AppError,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    InvalidCursor,
    InvalidIdempotencyKey,
    InvalidJson,
    InvalidToken,
    MissingPermission,
    MissingToken,
    NotFound,
    PayloadTooLarge,
    Problem,
    ResourceConflict,
    StaleVersion,
    TokenExpired,
    ValidationFailed,
    VersionMismatch,
    WrongSpace,
    describe_codes,
)
from libs.openapi.components import HEADERS, PARAMETERS, header_ref, param_ref

EXAMPLE_REF = "#/components/examples/"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_WRITES = frozenset({"post", "put", "patch", "delete"})
# Endpoint code that reads If-Match itself (libs.common.etag) honours it.
_IF_MATCH_READERS = frozenset({"check_if_match", "if_match_version"})
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def service_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        separate_input_output_schemas=False,
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in problem.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas["Problem"] = problem
    for name in _FASTAPI_ERRORS:
        schemas.pop(name, None)
    # FastAPI includes routers lazily: their routes, with the router-level dependencies
    # applied, are only seen through the route contexts.
    routes = {
        (ctx.path_format, method.lower()): ctx
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
        for method in ctx.methods or ()
    }
    used_params: set[str] = set()
    used_headers: set[str] = set()
    for path, item in (schema.get("paths") or {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is not None:
                _operation(
                    op, method, path, routes.get((path, method)), schemas, used_params, used_headers
                )
    examples = hoist_examples(schema.get("paths") or {})
    if examples:
        components["examples"] = {**components.get("examples", {}), **examples}
    if used_params:
        components["parameters"] = {n: PARAMETERS[n] for n in sorted(used_params)}
    if used_headers:
        components["headers"] = {n: HEADERS[n] for n in sorted(used_headers)}
    return schema


# --- access from the route's require(...) -------------------------------------------------


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    stack = [dependant]
    while stack:
        dep = stack.pop()
        yield dep
        stack.extend(dep.dependencies)


def route_access(route: Any) -> tuple[frozenset[Space] | None, list[str]]:
    """(spaces the route admits, None if it never checks; permissions it requires)."""
    spaces: frozenset[Space] | None = None
    perms: list[str] = []
    for dep in _dependants(route.dependant):
        declared = getattr(dep.call, "weft_spaces", None)
        if declared is None:
            continue
        admitted = frozenset(declared) or frozenset(Space)
        spaces = admitted if spaces is None else spaces & admitted
        perm = getattr(dep.call, "weft_permission", None)
        if perm and perm not in perms:
            perms.append(perm)
    return spaces, perms


def _honours_if_match(route: Any) -> bool:
    if route is None:
        return False
    code = getattr(route.endpoint, "__code__", None)
    return code is not None and not _IF_MATCH_READERS.isdisjoint(code.co_names)


# --- one operation --------------------------------------------------------------------------


def _operation(
    op: dict[str, Any],
    method: str,
    path: str,
    route: Any,
    schemas: dict[str, Any],
    used_params: set[str],
    used_headers: set[str],
) -> None:
    authenticated = bool(op.get("security"))
    params: list[dict[str, Any]] = op.get("parameters") or []
    names = {str(p.get("name", "")).lower() for p in params}
    if_match = "if-match" in names or _honours_if_match(route)
    idempotent = method == "post" and authenticated
    if idempotent and "idempotency-key" not in names:
        params.append(param_ref("IdempotencyKey"))
        used_params.add("IdempotencyKey")
    if if_match and "if-match" not in names:
        params.append(param_ref("IfMatch"))
        used_params.add("IfMatch")
    if params:
        op["parameters"] = params

    if route is not None:
        spaces, perms = route_access(route)
        if spaces is not None:
            op["x-weft-spaces"] = sorted(str(space) for space in spaces)
        if perms:
            op["x-weft-permissions"] = perms

    kit: dict[int, list[type[AppError]]] = {422: [ValidationFailed]}

    def add(*classes: type[AppError]) -> None:
        for cls in classes:
            kit.setdefault(cls.status, []).append(cls)

    if "requestBody" in op:
        add(InvalidJson, PayloadTooLarge)
    if "cursor" in names:
        add(InvalidCursor)
    if authenticated:
        add(MissingToken, InvalidToken, TokenExpired, WrongSpace, MissingPermission)
    if "{" in path:
        add(NotFound)
    if method in _WRITES:
        add(ResourceConflict)
    if idempotent:
        add(InvalidIdempotencyKey, IdempotencyInFlight, IdempotencyKeyReused)
    if if_match:
        add(VersionMismatch, StaleVersion)

    responses: dict[str, Any] = op.setdefault("responses", {})
    for status, classes in kit.items():
        _merge_problem(responses.setdefault(str(status), {}), status, classes)
    for key, response in list(responses.items()):
        if not key.isdigit():
            continue
        status = int(key)
        if status >= 400:
            _merge_problem(response, status, [])
            if status in (429, 503):
                _add_header(response, "Retry-After", "RetryAfter", used_headers)
        elif 200 <= status < 300:
            if _versioned(response, schemas):
                _add_header(response, "ETag", "ETag", used_headers)
            if status == 201:
                _add_header(response, "Location", "Location", used_headers)
            if idempotent:
                _add_header(response, "Idempotent-Replayed", "IdempotentReplayed", used_headers)
    op["responses"] = dict(sorted(responses.items()))


def _merge_problem(response: dict[str, Any], status: int, classes: list[type[AppError]]) -> None:
    """Make `response` a problem+json response listing its codes and the `classes`' too."""
    codes: list[str] = list(response.get("x-problem-codes") or [])
    old = (response.get("content") or {}).get(PROBLEM_JSON) or {}
    examples: dict[str, Any] = dict(old.get("examples") or {})
    for cls in classes:
        if cls.code not in codes:
            codes.append(cls.code)
        examples.setdefault(cls.code, {"summary": cls.title, "value": cls.example()})
    content: dict[str, Any] = {"schema": {"$ref": PROBLEM_REF}}
    if examples:
        content["examples"] = examples
    response["content"] = {PROBLEM_JSON: content}
    response["x-problem-codes"] = codes
    response["description"] = describe_codes(status, codes)


def hoist_examples(paths: dict[str, Any]) -> dict[str, Any]:
    """Problem examples move to `components/examples` (one per code), referenced from the
    responses: every operation lists the same few, and inline they would bloat the spec."""
    out: dict[str, Any] = {}
    for item in paths.values():
        for method in HTTP_METHODS:
            op = item.get(method) if isinstance(item, dict) else None
            for response in (op or {}).get("responses", {}).values():
                media = (response.get("content") or {}).get(PROBLEM_JSON) or {}
                for code, example in (media.get("examples") or {}).items():
                    if "$ref" in example:
                        continue
                    out.setdefault(code, example)
                    media["examples"][code] = {"$ref": EXAMPLE_REF + code}
    return out


def _add_header(response: dict[str, Any], name: str, component: str, used: set[str]) -> None:
    response.setdefault("headers", {})[name] = header_ref(component)
    used.add(component)


def _versioned(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    for media in (response.get("content") or {}).values():
        ref = (media.get("schema") or {}).get("$ref", "")
        target = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
        if target and "version" in (target.get("properties") or {}):
            return True
    return False
