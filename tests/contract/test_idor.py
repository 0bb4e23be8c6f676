"""IDOR sweep: every id-taking route of the merged spec, called with another tenant's ids.

Two providers (Paco and the guards' provider B) and a brand of each. The routes come from
the spec: every operation with a path parameter, an id query parameter (`*_id`) or an id
field in its body. Ids come from what each tenant's own users can list (walking the spec's
GET operations) and from the records the fixture made. Each attacker calls each route with
the ids of a tenant it must not reach, through the gateway and straight at the service
(which must hold itself to the same rules). A foreign record is *read* when a 2xx answers a
foreign id in the path, or a 2xx body carries an id of the victim's; it is *changed* when a
write with a foreign id (path or body) answers 2xx, or when the victims' records differ
after the sweep. Calls, leaks and their requests are printed; the test wants 0 leaks.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import find
from hypothesis import strategies as st

from tests.contract.conftest import Login, Network
from tools.seed import DEMO_PASSWORD
from tools.stack import Stack

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
METHODS = ("get", "post", "put", "patch", "delete")

# Path parameters that are not record ids, with what the sweep sends and why.
NOT_IDS: dict[str, tuple[str | None, str]] = {
    "role": ("VIEWER", "a role name beside user_id; the user_id is the foreign id swept"),
    "kind": (None, "an export kind (organisations, relationships, skus), not a record id"),
    "agreement_id": (
        None,
        "agreements are read-only and no API creates one yet (issue 10): no record to cross",
    ),
    "path": ("a", "a path inside a mock's spec; the mock_id beside it is the foreign id swept"),
    "token": (
        None,
        "an invite token is itself the credential (a bearer secret); there is no owner to "
        "cross: the route is left out",
    ),
}
# Body fields named like ids that are not Weft record ids.
NOT_ID_FIELDS = {"external_customer_id": "the provider's id in the operator's billing system"}
# Body / query field names that name a record of another parameter's kind.
ALIASES = {
    "customer_tenant_id": "tenant_id",
    "client_id": "tenant_id",
    "product_version_id": "version_id",
    "blueprint_id": "project_id",
    "spec_version_id": "spec_id",
}
# Lists whose items must name something that exists (a made-up role is refused first).
KNOWN_LISTS: dict[str, list[str]] = {"roles": ["VIEWER"], "permissions": ["orders:read"]}
# Fields of the victims' records that change without anyone writing them.
VOLATILE = {"last_used_at", "updated_at", "stats", "health", "failure_count", "next_attempt_at"}


@dataclass
class Route:
    method: str
    path: str
    service: str
    public: bool
    stream: bool
    path_params: list[str]
    query_ids: list[str]
    body_ids: list[str]
    body_schema: dict[str, Any] | None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class Sweep:
    calls: int = 0
    leaks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    routes: set[str] = field(default_factory=set)


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def body_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = resolve(spec, op.get("requestBody", {})).get("content", {})
    for media in ("application/json", "application/x-www-form-urlencoded"):
        if media in content:
            return resolve(spec, content[media].get("schema", {}))
    return None


def routes(spec: dict[str, Any]) -> list[Route]:
    out = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                resolve(spec, p) for p in [*item.get("parameters", []), *op.get("parameters", [])]
            ]
            path_params = [p["name"] for p in params if p["in"] == "path"]
            query_ids = [p["name"] for p in params if p["in"] == "query" and is_id(p["name"])]
            schema = body_schema(spec, op)
            props = (schema or {}).get("properties", {})
            body_ids = [name for name in props if is_id(name) and name not in NOT_ID_FIELDS]
            if path_params or query_ids or body_ids:
                out.append(
                    Route(
                        method,
                        path,
                        path.split("/")[2],
                        op.get("security") == [],
                        streams(op),
                        path_params,
                        query_ids,
                        body_ids,
                        schema,
                    )
                )
    return out


def streams(op: dict[str, Any]) -> bool:
    """An operation answering a never-ending stream (server-sent events)."""
    ok = op.get("responses", {}).get("200", {})
    return "text/event-stream" in ok.get("content", {})


def is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def kind(name: str) -> str:
    return ALIASES.get(name, name)


# --- what each tenant can list ---------------------------------------------------------------


def harvest(spec: dict[str, Any], who: Login, created: dict[str, list[str]]) -> dict[str, set[str]]:
    """Ids by parameter name that `who` reaches by walking the spec's GET operations."""
    pool: dict[str, set[str]] = defaultdict(set)
    for name, ids in created.items():
        pool[name].update(ids)
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)  # path -> [(segment, param)]
    for path in spec["paths"]:
        found = re.match(r"^(.*)/\{(\w+)\}$", path)
        if found:
            children[found.group(1)].append(("", found.group(2)))
        nested = re.match(r"^(.*/\{\w+\})/([\w-]+)/\{(\w+)\}", path)
        if nested:
            children[nested.group(1)].append((nested.group(2), nested.group(3)))
    gets = sorted(
        (p for p, item in spec["paths"].items() if "get" in item and not streams(item["get"])),
        key=lambda p: p.count("{"),
    )
    with who.client() as c:
        for _ in range(2):  # a second pass reaches what needs an id from the first
            for path in gets:
                params = re.findall(r"\{(\w+)\}", path)
                if any(p in NOT_IDS for p in params):
                    continue
                for values in _assignments(params, pool, 3):
                    url = path
                    for p, v in zip(params, values, strict=True):
                        url = url.replace("{" + p + "}", v)
                    _walk_pages(c, url, path, children, pool)
    return pool


def _assignments(params: list[str], pool: dict[str, set[str]], n: int) -> list[list[str]]:
    if not params:
        return [[]]
    options = [sorted(pool.get(p, set()))[:n] for p in params]
    if any(not o for o in options):
        return []
    rows: list[list[str]] = [[]]
    for o in options:
        rows = [[*r, v] for r in rows for v in o][:n]
    return rows


def _walk_pages(
    c: httpx.Client,
    url: str,
    template: str,
    children: dict[str, list[tuple[str, str]]],
    pool: dict[str, set[str]],
) -> None:
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 100} if "{" not in template[-1:] else {}
        if cursor:
            params["cursor"] = cursor
        resp = c.get(url, params=params)
        if resp.status_code == 422 and params:
            resp = c.get(url)
        if resp.status_code != 200 or "json" not in resp.headers.get("content-type", ""):
            return
        data = resp.json()
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            for item in data["items"]:
                if isinstance(item, dict) and "id" in item:
                    for segment, param in children.get(template, []):
                        if segment == "":
                            pool[param].add(str(item["id"]))
                _collect(item, pool)
            cursor = data.get("next_cursor")
            if not cursor:
                return
            continue
        if isinstance(data, dict):
            for segment, param in children.get(template, []):
                key = segment.replace("-", "_")
                if isinstance(data.get(key), list):
                    for child in data[key]:
                        if isinstance(child, dict) and "id" in child:
                            pool[param].add(str(child["id"]))
        _collect(data, pool)
        return


def _collect(node: Any, pool: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "id" and is_id(key) and isinstance(value, str) and UUID.match(value):
                pool[kind(key)].add(value)
            elif isinstance(value, dict | list):
                _collect(value, pool)
    elif isinstance(node, list):
        for value in node:
            _collect(value, pool)


# --- bodies ----------------------------------------------------------------------------------


def minimal(spec: dict[str, Any], schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """A small valid instance of a schema: required fields only, plain values."""
    schema = resolve(spec, schema)
    if depth > 6:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [resolve(spec, s) for s in schema[key]]
            options = [s for s in options if s.get("type") != "null"] or options
            return minimal(spec, options[0], name, depth + 1)
    if "allOf" in schema:
        return minimal(spec, schema["allOf"][0], name, depth + 1)
    kind_ = schema.get("type")
    if kind_ == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {
            key: minimal(spec, props[key], key, depth + 1)
            for key in schema.get("required", [])
            if key in props
        }
    if kind_ == "array":
        if name in KNOWN_LISTS:
            return KNOWN_LISTS[name]
        count = schema.get("minItems", 0)
        return [minimal(spec, schema.get("items", {}), name, depth + 1) for _ in range(count)]
    if kind_ == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind_ == "number":
        return 1
    if kind_ == "boolean":
        return False
    fmt = schema.get("format", "")
    if name == "password" or "password" in name:
        return DEMO_PASSWORD
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return "2026-12-31"
    if fmt == "date-time":
        return "2026-12-31T00:00:00Z"
    if fmt == "email":
        return f"idor-{uuid.uuid4().hex[:8]}@guard.example"
    if fmt == "uri" or name == "url":
        return "http://127.0.0.1:9/idor"
    examples = schema.get("examples") or []
    if "pattern" in schema:
        for example in examples:
            if isinstance(example, str) and re.fullmatch(schema["pattern"], example):
                return example
        shortest = schema.get("minLength", 0)
        return find(st.from_regex(schema["pattern"], fullmatch=True), lambda v: len(v) >= shortest)
    return f"idor-{uuid.uuid4().hex[:6]}"[: schema.get("maxLength", 64)]


def request_body(
    spec: dict[str, Any], route: Route, own: dict[str, set[str]], created: set[str]
) -> Any:
    if route.body_schema is None:
        return None
    if route.method == "patch":
        return {}  # an empty update: harmless to the victim, and still a write by id
    body = minimal(spec, route.body_schema)
    if isinstance(body, dict):
        for name in route.body_ids:
            mine = pick(own.get(kind(name), set()), created, 1)
            if mine:
                body[name] = mine[0]
        body = {k: v for k, v in body.items() if v is not None}
    return body


# --- the sweep -------------------------------------------------------------------------------


def victims(
    net: Network, pools: dict[str, dict[str, set[str]]], attacker: str
) -> dict[str, set[str]]:
    """Ids `attacker` must not reach: the other provider's tree, and for a brand, what its
    provider has that is not the brand's."""
    group = {"provider_a": "a", "brand_a": "a", "provider_b": "b", "brand_b": "b"}
    out: dict[str, set[str]] = defaultdict(set)
    for who, pool in pools.items():
        if group[who] == group[attacker]:
            continue
        for name, ids in pool.items():
            out[name] |= ids
    if attacker.startswith("brand"):
        provider = "provider_" + group[attacker]
        for name, ids in pools[provider].items():
            out[name] |= ids - pools[attacker].get(name, set())
    # victim users are the fixture's: a leak must not lock a demo login out
    created_users = {u for made in net.created.values() for u in made.get("user_id", [])}
    out["user_id"] &= created_users
    return out


def pick(ids: set[str], preferred: set[str], n: int = 2) -> list[str]:
    first = sorted(ids & preferred)
    rest = sorted(ids - preferred)
    return (first + rest)[:n]


def left_out(route: Route) -> str | None:
    """Why a route is not swept (None: it is)."""
    if route.public:
        return "public (no token): there is no tenant to cross; its ids are credentials"
    if route.stream:
        return "a server-sent event stream never ends, so it is not read as one answer here"
    for p in route.path_params:
        if NOT_IDS.get(p, ("", ""))[0] is None:
            return NOT_IDS[p][1]
    return None


def call(
    c: httpx.Client, route: Route, base: str, url: str, query: dict[str, str], body: Any
) -> httpx.Response:
    kwargs: dict[str, Any] = {"params": query}
    if body is not None:
        kwargs["json"] = body
    return c.request(route.method.upper(), base + url, **kwargs)


def fill(route: Route, values: dict[str, str]) -> str:
    url = route.path
    for name in route.path_params:
        url = url.replace("{" + name + "}", values[name])
    return url


def sweep(
    spec: dict[str, Any], stack: Stack, net: Network, pools: dict[str, dict[str, set[str]]]
) -> Sweep:
    result = Sweep()
    created = {v for made in net.created.values() for ids in made.values() for v in ids}
    for attacker, login in net.all.items():
        foreign = victims(net, pools, attacker)
        own = pools[attacker]
        every_own = {v for ids in own.values() for v in ids}
        every_foreign = {v for ids in foreign.values() for v in ids} - every_own
        with login.client() as c:
            for route in routes(spec):
                if left_out(route):
                    continue
                for url, query, make_body, sent in _attempts(spec, route, foreign, own, created):
                    result.routes.add(route.label)
                    prefix = f"/v1/{route.service}"
                    bases = {
                        "gateway": (stack.gateway_url, url),
                        "direct": (stack.service_url(route.service), url.removeprefix(prefix)),
                    }
                    for where, (base, path) in bases.items():
                        body = make_body()  # fresh per call: unique numbers do not collide
                        c.headers["Authorization"] = f"Bearer {login.token}"
                        resp = call(c, route, base, path, query, body)
                        result.calls += 1
                        result.statuses[resp.status_code] += 1
                        leak = _leak(route, resp, path, sent, every_foreign)
                        if _unproven(route, resp):
                            result.notes.append(
                                f"422 before the id was looked up (not proven) [{attacker} {where}]"
                                f" {route.method.upper()} {path} body={json.dumps(body)}"
                                f" -> {resp.text[:200]}"
                            )
                        if leak == "":
                            result.notes.append(
                                f"2xx without foreign data (404 expected) [{attacker} {where}]"
                                f" {route.method.upper()} {path} -> {resp.text[:120]}"
                            )
                        elif leak:
                            result.leaks.append(
                                f"{leak} [{attacker} {where}] {route.method.upper()} {path}"
                                f" query={query} body={json.dumps(body)} -> {resp.status_code}"
                                f" {resp.text[:300]}"
                            )
    return result


def _attempts(
    spec: dict[str, Any],
    route: Route,
    foreign: dict[str, set[str]],
    own: dict[str, set[str]],
    created: set[str],
) -> list[tuple[str, dict[str, str], Callable[[], Any], set[str]]]:
    out: list[tuple[str, dict[str, str], Callable[[], Any], set[str]]] = []
    ids = [p for p in route.path_params if p not in NOT_IDS]
    fixed = {p: NOT_IDS[p][0] or "" for p in route.path_params if p in NOT_IDS}

    def fresh() -> Any:  # a body per call: unique names and numbers do not collide
        return request_body(spec, route, own, created)

    if ids:
        # every path id foreign (consistent: the fixture made parents and children together)
        for i in range(2):
            values = {}
            for p in ids:
                chosen = pick(foreign.get(p, set()), created)
                if len(chosen) <= i:
                    break
                values[p] = chosen[i]
            else:
                out.append((fill(route, {**fixed, **values}), {}, fresh, set(values.values())))
        # a nested route: the attacker's own parent, a foreign child
        if len(ids) > 1 and all(own.get(p) for p in ids[:-1]) and foreign.get(ids[-1]):
            values = {p: pick(own[p], created, 1)[0] for p in ids[:-1]}
            values[ids[-1]] = pick(foreign[ids[-1]], created, 1)[0]
            out.append((fill(route, {**fixed, **values}), {}, fresh, {values[ids[-1]]}))
    # the attacker's own records in the path, and a foreign id in the body
    mine = {p: pick(own.get(p, set()), created, 1) for p in ids}
    if any(not v for v in mine.values()):
        return out
    url = fill(route, {**fixed, **{p: v[0] for p, v in mine.items()}})
    for name in route.query_ids:
        for value in pick(foreign.get(kind(name), set()), created, 1):
            out.append((url, {name: value}, fresh, {value}))
    for name in route.body_ids:
        for value in pick(foreign.get(kind(name), set()), created, 1):
            if isinstance(fresh(), dict):

                def with_foreign(name: str = name, value: str = value) -> Any:
                    return {**fresh(), name: value}

                out.append((url, {}, with_foreign, {value}))
    return out


def _unproven(route: Route, resp: httpx.Response) -> bool:
    """A write refused by schema validation, before any id was looked up."""
    if resp.status_code != 422 or route.method == "get":
        return False
    try:
        return bool(resp.json().get("code") == "validation_failed")
    except ValueError:
        return True


def _leak(
    route: Route, resp: httpx.Response, path: str, sent: set[str], foreign: set[str]
) -> str | None:
    """What a 2xx gave away: a READ / CHANGED leak, "" for an empty answer, None for none."""
    if not 200 <= resp.status_code < 300:
        return None
    if route.method != "get":
        return "CHANGED (a write with a foreign id succeeded)"
    text = resp.text
    seen = [v for v in sent | foreign if v in text]
    if seen:
        return f"READ (the answer carries foreign ids {seen[:3]})"
    if any(v in path for v in sent):
        return ""  # a foreign id in the path answered, but with nothing of the victim's
    return None


def snapshot(spec: dict[str, Any], net: Network) -> dict[str, Any]:
    """The victims' records as their owners read them (each GET route of one created id)."""
    out: dict[str, Any] = {}
    owners = {"provider_a": net.provider_a, "provider_b": net.provider_b}
    for owner, made in net.created.items():
        with owners[owner].client() as c:
            for path, item in spec["paths"].items():
                params = re.findall(r"\{(\w+)\}", path)
                if "get" not in item or len(params) != 1 or params[0] not in made:
                    continue
                for value in made[params[0]]:
                    resp = c.get(path.replace("{" + params[0] + "}", value))
                    if resp.status_code == 200:
                        out[f"{owner} {path} {value}"] = _stable(resp.json())
    return out


def _stable(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        return [_stable(v) for v in node]
    return node


@pytest.mark.e2e
def test_no_tenant_reaches_another_tenants_records(
    spec: dict[str, Any], stack: Stack, network: Network
) -> None:
    pools = {
        who: harvest(spec, login, network.created.get(who, {}))
        for who, login in network.all.items()
    }
    before = snapshot(spec, network)
    result = sweep(spec, stack, network, pools)
    after = snapshot(spec, network)
    changed = [key for key in before if after.get(key) != before[key]]

    id_routes = routes(spec)
    skipped = {r.label: why for r in id_routes if (why := left_out(r))}
    uncovered = sorted(
        r.label for r in id_routes if r.label not in result.routes and r.label not in skipped
    )
    print(
        f"\nIDOR sweep: {len(id_routes)} id-taking routes, {len(result.routes)} swept, "
        f"{result.calls} calls (gateway and direct), {len(result.leaks)} leaks, "
        f"{len(changed)} victim records changed; statuses {dict(sorted(result.statuses.items()))}"
    )
    for label, why in skipped.items():
        print(f"  left out {label}: {why}")
    for note in result.notes:
        print("  note " + note)
    for label in uncovered:
        print(f"  no foreign id to try: {label}")
    for leak in result.leaks:
        print("  LEAK " + leak)
    for key in changed:
        print(f"  CHANGED {key}: {before[key]} -> {after.get(key)}")
    assert result.calls > 0
    assert not result.leaks and not changed, (
        f"{len(result.leaks)} leaks, {len(changed)} victim records changed:\n"
        + "\n".join(result.leaks[:40] + changed[:20])
    )
    assert not uncovered, f"id-taking routes the sweep had no foreign id for: {uncovered}"
