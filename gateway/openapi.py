"""The merged OpenAPI document: every service's spec under its /v1/<service> prefix.

Merge rules (chosen so generated SDKs get readable, stable names):
- Paths get the `/v1/<service>` prefix; `/internal/...` paths are left out (never exposed).
- Every operation gets exactly one tag, the service name, so SDK generators make one
  client class per service (`ProductionApi.list_orders`).
- operationIds stay as the service wrote them (`list_orders`); only ids used by more than
  one service (`healthz`, `readyz`) become `<service>_<id>` (`identity_healthz`).
- Component names stay as written. A name defined by several services is shared when all
  definitions are identical (e.g. `Problem`); otherwise each service's copy becomes
  `<Service><Name>` (`CatalogProduct`, `ProductionProduct`) and its `$ref`s are rewritten.
- One security scheme, `bearerAuth` (JWT), required by default; public routes (from the
  gateway's route table) carry `security: []`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from gateway.routes import RouteTable

log = logging.getLogger("weft.gateway.openapi")

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


def merge(
    specs: dict[str, dict[str, Any]],
    table: RouteTable,
    *,
    title: str = "Weft API",
    version: str = "1.0.0",
) -> dict[str, Any]:
    names = component_names(specs)
    opids = operation_ids(specs)
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    webhooks: dict[str, Any] = {}
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
                op = dict(op)
                op["operationId"] = opids[(service, path, method)]
                op["tags"] = [service]
                access = table.access(service, method.upper(), path)
                if access is not None and access.public:
                    op["security"] = []
                else:
                    op.pop("security", None)  # the document-wide bearerAuth applies
                    if access is not None:
                        spaces = ", ".join(sorted(access.spaces))
                        op["x-weft-spaces"] = sorted(access.spaces)
                        note = f"Open to the spaces: {spaces}."
                        op["description"] = (
                            f"{op['description']}\n\n{note}" if op.get("description") else note
                        )
                new_item[method] = op
            paths[f"/v1/{service}{path}"] = new_item
        for name, hook in (spec.get("webhooks") or {}).items():
            webhooks[name if name not in webhooks else f"{service}_{name}"] = hook
    components["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An ES256 access token from identity (POST /v1/identity/auth/login).",
        }
    }
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": tags,
        "paths": paths,
        "components": components,
    }
    if webhooks:
        doc["webhooks"] = webhooks
    return doc


class OpenAPIAggregator:
    """Fetches the services' specs (at start-up with retries, then lazily) and merges them."""

    def __init__(
        self,
        service_urls: dict[str, str],
        table: RouteTable,
        *,
        refresh_seconds: float,
        timeout: float,
    ) -> None:
        self.service_urls = {k: v.rstrip("/") for k, v in service_urls.items()}
        self.table = table
        self.refresh_seconds = refresh_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.specs: dict[str, dict[str, Any]] = {}
        self._document: bytes | None = None
        self._fetched_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    async def fetch(self, *, quiet: bool = False) -> None:
        level = logging.DEBUG if quiet else logging.WARNING
        async with aiohttp.ClientSession(timeout=self.timeout) as session:

            async def one(name: str, url: str) -> None:
                try:
                    async with session.get(f"{url}/openapi.json") as resp:
                        if resp.status == 200:
                            self.specs[name] = await resp.json(loads=orjson.loads)
                            return
                        log.log(
                            level,
                            "openapi fetch failed",
                            extra={"svc": name, "status": resp.status},
                        )
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    log.log(level, "openapi fetch failed", extra={"svc": name, "error": repr(exc)})

            await asyncio.gather(*(one(n, u) for n, u in self.service_urls.items()))
        self._fetched_at = time.monotonic()
        self._document = None

    async def warm(self, attempts: int = 20) -> None:
        """At start-up the services start alongside the gateway: retry until all answer."""
        delay = 0.5
        for attempt in range(attempts):
            await self.fetch(quiet=attempt + 1 < attempts)
            if len(self.specs) == len(self.service_urls):
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _refresh_in_background(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self.fetch())

    async def document(self) -> bytes:
        stale = time.monotonic() - self._fetched_at > self.refresh_seconds
        if not self.specs or len(self.specs) < len(self.service_urls):
            if stale or self._fetched_at == 0.0:
                await self.fetch()  # nothing (or not everything) yet: wait for it this once
        elif stale:
            self._refresh_in_background()
        if self._document is None:
            self._document = orjson.dumps(merge(self.specs, self.table))
        return self._document

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()


SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Weft API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
    });
  </script>
</body>
</html>
"""
