"""Merge services' OpenAPI documents into one, under their `/v1/<service>` prefixes.

Used by the gateway (`/openapi.json`) and by any service that publishes a merged document.
Merge rules (chosen so generated SDKs get readable, stable names):
- Paths get the `/v1/<service>` prefix; `/internal/...` paths are left out (never exposed).
- Every operation gets exactly one tag, the service name, so SDK generators make one
  client class per service (`ProductionApi.list_orders`).
- operationIds stay as the service wrote them (`list_orders`); only ids used by more than
  one service (`healthz`, `readyz`) become `<service>_<id>` (`identity_healthz`).
- Component names stay as written. A name defined by several services is shared when all
  definitions are identical (e.g. `Problem`); otherwise each service's copy becomes
  `<Service><Name>` (`CatalogProduct`, `ProductionProduct`) and its `$ref`s are rewritten.
- One bearer scheme, `bearerAuth` (JWT), plus the services' other schemes (identity's
  `oauth2` client credentials, token URL made public); any of them is accepted by default,
  public routes carry `security: []`.
- Who may call an operation: the spaces the edge admits (`access`) intersected with those
  the service's own check admits (`x-weft-spaces`, from its `require(...)`), written once
  here into `x-weft-spaces` and the description.
- What the edge answers for any operation is documented on each: 429 with `Retry-After`
  (rate limits), 502 / 503 / 504 (the service down or slow), and the `RateLimit` /
  `RateLimit-Policy` headers on every response.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson

from libs.common.errors import EDGE_ERRORS, PROBLEM_JSON, PROBLEM_REF, describe_codes
from libs.openapi.components import HEADERS, header_ref

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
    "pathItems",
)
_REF_PREFIX = "#/components/"

DESCRIPTION = (
    "The Weft API: every service behind one gateway under `/v1/<service>`. "
    "Authenticate with a bearer access token from `POST /v1/identity/auth/login` or "
    "`POST /v1/identity/auth/token`. Errors are RFC 9457 problem details. Requests are "
    "rate-limited per tenant, per API client and per address (RateLimit headers)."
)


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _refs(value: Any, out: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(_REF_PREFIX):
                kind, _, name = item[len(_REF_PREFIX) :].partition("/")
                out.add((kind, name))
            else:
                _refs(item, out)
    elif isinstance(value, list):
        for item in value:
            _refs(item, out)
    return out


def _rewrite(value: Any, rename: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                out[key] = rename(item)
            elif key == "discriminator" and isinstance(item, dict) and "mapping" in item:
                out[key] = {**item, "mapping": {k: rename(v) for k, v in item["mapping"].items()}}
            else:
                out[key] = _rewrite(item, rename)
        return out
    if isinstance(value, list):
        return [_rewrite(item, rename) for item in value]
    return value


def component_names(specs: dict[str, dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """(service, kind, name) -> the name in the merged document."""
    defs: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for service, spec in specs.items():
        for kind in COMPONENT_KINDS:
            for name, definition in (spec.get("components", {}).get(kind) or {}).items():
                defs[(kind, name)][service] = definition
    multi = {key for key, by_service in defs.items() if len(by_service) > 1}
    shared = {key for key in multi if len({_canonical(d) for d in defs[key].values()}) == 1}
    # A shared definition must only point at names that are shared (or unique) as well.
    changed = True
    while changed:
        changed = False
        for key in list(shared):
            definition = next(iter(defs[key].values()))
            if any(ref in multi and ref not in shared for ref in _refs(definition, set())):
                shared.discard(key)
                changed = True
    taken = {key for key in defs if key not in multi or key in shared}
    out: dict[tuple[str, str, str], str] = {}
    for (kind, name), by_service in sorted(defs.items()):
        for service in sorted(by_service):
            if (kind, name) in taken:
                out[(service, kind, name)] = name
                continue
            new = _pascal(service) + name
            if (kind, new) in taken or (kind, new) in defs:
                new = f"{service}_{name}"
            taken.add((kind, new))
            out[(service, kind, name)] = new
    return out


def operation_ids(specs: dict[str, dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """(service, path, method) -> operationId, unique over the merged document."""
    found: dict[tuple[str, str, str], str] = {}
    for service, spec in specs.items():
        for path, item in (spec.get("paths") or {}).items():
            for method in HTTP_METHODS:
                op = item.get(method) if isinstance(item, dict) else None
                if op is None:
                    continue
                slug = "_".join(p.strip("{}") for p in path.split("/") if p) or "root"
                found[(service, path, method)] = op.get("operationId") or f"{method}_{slug}"
    counts: dict[str, int] = defaultdict(int)
    for opid in found.values():
        counts[opid] += 1
    out: dict[tuple[str, str, str], str] = {}
    used: set[str] = set()
    for key, opid in sorted(found.items()):
        new = opid if counts[opid] == 1 else f"{key[0]}_{opid}"
        base, n = new, 2
        while new in used:
            new, n = f"{base}_{n}", n + 1
        used.add(new)
        out[key] = new
    return out


def _is_internal(path: str) -> bool:
    first = next((seg for seg in path.split("/") if seg), "")
    return first == "internal"


class Access(Protocol):
    """What the edge asks of a caller of one route: nothing (public) or one of `spaces`."""

    @property
    def public(self) -> bool: ...

    @property
    def spaces(self) -> frozenset[Any]: ...


# (service, METHOD, service path) -> the edge's rule for it, None when it has none
AccessLookup = Callable[[str, str, str], Access | None]
# (service, METHOD, service path) -> whether the edge also serves it at its root, unprefixed
RootLookup = Callable[[str, str, str], bool]


def spaces_note(spaces: Iterable[str], permissions: Iterable[str] = ()) -> str:
    """The one sentence saying who may call an operation."""
    listed = ", ".join(sorted(spaces))
    note = f"Open to the spaces: {listed}." if listed else "Open to no space."
    perms = ", ".join(f"`{p}`" for p in permissions)
    if perms:
        note += f" Requires the permission {perms}."
    return note


def _with_note(op: dict[str, Any], note: str) -> None:
    old = op.get("description")
    op["description"] = f"{old}\n\n{note}" if old else note


def _edge_errors(op: dict[str, Any], examples: dict[str, Any]) -> None:
    """What the edge itself may answer for any operation: 429 (rate limits, `Retry-After`),
    502 / 503 / 504 (the service down or slow), and the RateLimit headers everywhere."""
    responses = op.setdefault("responses", {})
    for cls in EDGE_ERRORS:
        entry = responses.setdefault(str(cls.status), {})
        codes = list(entry.get("x-problem-codes") or [])
        if cls.code not in codes:
            codes.append(cls.code)
        media = dict((entry.get("content") or {}).get(PROBLEM_JSON) or {})
        refs = dict(media.get("examples") or {})
        refs.setdefault(cls.code, {"$ref": "#/components/examples/" + cls.code})
        examples.setdefault(cls.code, {"summary": cls.title, "value": cls.example()})
        entry["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}, "examples": refs}}
        entry["x-problem-codes"] = codes
        entry["description"] = describe_codes(cls.status, codes)
    for status in ("429", "503"):
        responses[status].setdefault("headers", {})["Retry-After"] = header_ref("RetryAfter")
    for key, response in responses.items():
        if isinstance(response, dict) and key.isdigit():
            headers = response.setdefault("headers", {})
            headers["RateLimit"] = header_ref("RateLimit")
            headers["RateLimit-Policy"] = header_ref("RateLimitPolicy")
    op["responses"] = dict(sorted(responses.items()))


def merge(
    specs: dict[str, dict[str, Any]],
    access: AccessLookup,
    *,
    title: str = "Weft API",
    version: str = "1.0.0",
    description: str = "",
    servers: list[dict[str, Any]] | None = None,
    webhooks: dict[str, Any] | None = None,
    webhook_schemas: dict[str, Any] | None = None,
    edge_errors: bool = True,
    at_root: RootLookup | None = None,
) -> dict[str, Any]:
    """One OpenAPI 3.1 document from the services' documents (service name -> document).
    Operations the edge also serves at its root (`at_root`, e.g. GS1 Digital Link) appear
    a second time there, unprefixed, with the operationId `<id>_at_root`."""
    names = component_names(specs)
    opids = operation_ids(specs)
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    merged_hooks: dict[str, Any] = dict(webhooks or {})
    edge_examples: dict[str, Any] = {}
    tags = []
    for service in sorted(specs):
        spec = specs[service]

        def rename(ref: str, service: str = service) -> str:
            if not ref.startswith(_REF_PREFIX):
                return ref
            kind, _, name = ref[len(_REF_PREFIX) :].partition("/")
            return f"{_REF_PREFIX}{kind}/{names.get((service, kind, name), name)}"

        spec = _rewrite(copy.deepcopy(spec), rename)
        info = spec.get("info") or {}
        tag: dict[str, Any] = {"name": service}
        desc = " ".join(x for x in (info.get("title"), info.get("description")) if x)
        if desc:
            tag["description"] = desc
        tags.append(tag)
        for kind in COMPONENT_KINDS:
            for name, definition in (spec.get("components", {}).get(kind) or {}).items():
                components.setdefault(kind, {})[names[(service, kind, name)]] = definition
        for path, item in (spec.get("paths") or {}).items():
            if _is_internal(path) or not isinstance(item, dict):
                continue
            new_item = dict(item)
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                new_item[method] = _operation(
                    dict(op), service, path, method, opids[(service, path, method)], access
                )
                if edge_errors:
                    _edge_errors(new_item[method], edge_examples)
                if at_root is not None and at_root(service, method.upper(), path):
                    root_op = copy.deepcopy(new_item[method])
                    root_op["operationId"] = f"{root_op['operationId']}_at_root"
                    _with_note(
                        root_op, f"The same operation as `/v1/{service}{path}`, at the root."
                    )
                    paths.setdefault(path, {})[method] = root_op
            paths[f"/v1/{service}{path}"] = new_item
        for name, hook in (spec.get("webhooks") or {}).items():
            if name in merged_hooks and _canonical(merged_hooks[name]) == _canonical(hook):
                continue  # the same event described twice (a service and the contracts)
            merged_hooks[name if name not in merged_hooks else f"{service}_{name}"] = hook
    if webhook_schemas:
        for name, definition in webhook_schemas.items():
            components.setdefault("schemas", {}).setdefault(name, definition)
    if edge_errors:
        for code, example in edge_examples.items():
            components.setdefault("examples", {}).setdefault(code, example)
        headers = components.setdefault("headers", {})
        for name in ("RetryAfter", "RateLimit", "RateLimitPolicy"):
            headers.setdefault(name, HEADERS[name])
    schemes: dict[str, Any] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An ES256 access token from identity (POST /v1/identity/auth/login).",
        }
    }
    for service in sorted(specs):
        own = (specs[service].get("components") or {}).get("securitySchemes") or {}
        for name, scheme in own.items():
            if scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
                continue  # every service's bearer JWT is the one `bearerAuth`
            schemes.setdefault(name, _public_scheme(scheme, service))
    components["securitySchemes"] = schemes
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": servers or [{"url": "/"}],
        "security": [{name: []} for name in schemes],
        "tags": tags,
        "paths": paths,
        "components": components,
    }
    if merged_hooks:
        doc["webhooks"] = merged_hooks
    return doc


def _public_scheme(scheme: dict[str, Any], service: str) -> dict[str, Any]:
    """A service's OAuth 2 scheme with its relative token / authorization URLs made public."""
    scheme = copy.deepcopy(scheme)
    for flow in (scheme.get("flows") or {}).values():
        for key in ("tokenUrl", "authorizationUrl", "refreshUrl"):
            url = flow.get(key)
            if isinstance(url, str) and url.startswith("/"):
                flow[key] = f"/v1/{service}{url}"
    return scheme


def _operation(
    op: dict[str, Any],
    service: str,
    path: str,
    method: str,
    operation_id: str,
    access: AccessLookup,
) -> dict[str, Any]:
    op["operationId"] = operation_id
    op["tags"] = [service]
    rule = access(service, method.upper(), path)
    if rule is not None and rule.public:
        op["security"] = []
        op.pop("x-weft-spaces", None)
        return op
    op.pop("security", None)  # the document-wide bearerAuth applies
    edge = {str(s) for s in rule.spaces} if rule is not None else None
    own = set(op["x-weft-spaces"]) if "x-weft-spaces" in op else None
    if edge is None and own is None:
        return op
    spaces = edge & own if edge is not None and own is not None else edge or own or set()
    op["x-weft-spaces"] = sorted(spaces)
    _with_note(op, spaces_note(spaces, op.get("x-weft-permissions") or ()))
    return op
