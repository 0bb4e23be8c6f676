"""The route table: which spaces may call each service, and which routes are public.

The rules are data (gateway/routes.yaml); this module compiles them once into a table the
hot path reads with a dict lookup and a few string or regex comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from libs.common.auth import Space

DEFAULT_ROUTES_FILE = Path(__file__).with_name("routes.yaml")
ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_PARAM = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True, slots=True)
class Access:
    """What a matched route asks of the caller: nothing (public) or a token of one of `spaces`."""

    public: bool
    spaces: frozenset[Space]


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: str  # as written in the table, e.g. /passports/{passport_id}
    methods: frozenset[str]
    access: Access
    literal: str | None  # the path itself when it has no parameter or wildcard
    regex: re.Pattern[str] | None

    def matches(self, method: str, path: str) -> bool:
        if method not in self.methods:
            return False
        if self.literal is not None:
            return path == self.literal
        assert self.regex is not None
        return self.regex.fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class ServiceRoutes:
    name: str
    default: Access
    rules: tuple[Rule, ...]
    # routes allowed a larger body than the gateway's max_body_bytes: (rule, their limit)
    bodies: tuple[tuple[Rule, int], ...] = ()

    def access(self, method: str, path: str) -> Access:
        for rule in self.rules:
            if rule.matches(method, path):
                return rule.access
        return self.default

    def max_body_bytes(self, method: str, path: str) -> int | None:
        """The route's own body limit (`bodies:` in the table); None: the gateway's."""
        for rule, limit in self.bodies:
            if rule.matches(method, path):
                return limit
        return None


@dataclass(frozen=True, slots=True)
class RootRoute:
    """A public route at the gateway's root, forwarded to `service` at the same path."""

    rule: Rule
    service: str


class RouteTable:
    def __init__(
        self, services: dict[str, ServiceRoutes], root: tuple[RootRoute, ...] = ()
    ) -> None:
        self.services = services
        self.root = root

    def root_service(self, method: str, path: str) -> str | None:
        """The service a root path (outside /v1/<service>) goes to; None when none."""
        for route in self.root:
            if route.rule.matches(method, path):
                return route.service
        return None

    def at_root(self, service: str, method: str, path: str) -> bool:
        """Whether `service`'s route `method path` is also served at the root (OpenAPI)."""
        return any(r.service == service and r.rule.matches(method, path) for r in self.root)

    def service(self, name: str) -> ServiceRoutes | None:
        return self.services.get(name)

    def access(self, service: str, method: str, path: str) -> Access | None:
        """The rule for `method path` on `service` (a service-relative path), None if unknown."""
        routes = self.services.get(service)
        return None if routes is None else routes.access(method, path)


def compile_pattern(pattern: str) -> tuple[str | None, re.Pattern[str] | None]:
    if not pattern.startswith("/"):
        raise ValueError(f"route path must start with '/': {pattern!r}")
    wildcard = pattern.endswith("/**")
    body = pattern[:-3] if wildcard else pattern
    if not wildcard and not _PARAM.search(body):
        return body, None
    out, pos = [], 0
    for m in _PARAM.finditer(body):
        out.append(re.escape(body[pos : m.start()]))
        out.append(r"[^/]+")
        pos = m.end()
    out.append(re.escape(body[pos:]))
    if wildcard:
        out.append(r"(?:/[\s\S]*)?")  # any character, a newline too
    return None, re.compile("".join(out))


def _methods(raw: Any) -> frozenset[str]:
    if raw is None:
        return ALL_METHODS
    methods = frozenset(str(m).upper() for m in raw)
    unknown = methods - ALL_METHODS
    if unknown:
        raise ValueError(f"unknown methods in route table: {sorted(unknown)}")
    return methods


def _spaces(raw: Any) -> frozenset[Space]:
    return frozenset(Space(str(s)) for s in raw or ())


def _limit(raw: dict[str, Any]) -> int:
    limit = raw.get("max_body_bytes")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise ValueError(f"bodies: {raw.get('path')!r} needs max_body_bytes, a positive integer")
    return limit


def _rule(raw: dict[str, Any], access: Access) -> Rule:
    literal, regex = compile_pattern(str(raw["path"]))
    return Rule(str(raw["path"]), _methods(raw.get("methods")), access, literal, regex)


def build_table(data: dict[str, Any]) -> RouteTable:
    public = Access(public=True, spaces=frozenset())
    shared = [_rule(r, public) for r in (data.get("all_services") or {}).get("public") or ()]
    services: dict[str, ServiceRoutes] = {}
    for name, spec in (data.get("services") or {}).items():
        spec = spec or {}
        rules = [_rule(r, public) for r in spec.get("public") or ()] + shared
        for raw in spec.get("overrides") or ():
            rules.append(_rule(raw, Access(public=False, spaces=_spaces(raw.get("spaces")))))
        default = Access(public=False, spaces=_spaces(spec.get("spaces")))
        bodies = tuple((_rule(raw, default), _limit(raw)) for raw in spec.get("bodies") or ())
        services[str(name)] = ServiceRoutes(str(name), default, tuple(rules), bodies)
    root: list[RootRoute] = []
    for raw in data.get("root") or ():
        service = str(raw.get("service") or "")
        rule = _rule(raw, public)
        routes = services.get(service)
        if routes is None:
            raise ValueError(f"root route {rule.pattern!r} names an unknown service {service!r}")
        for method in rule.methods:
            if not routes.access(method, rule.pattern).public:
                raise ValueError(
                    f"root route {method} {rule.pattern!r} is not a public route of {service}"
                )
        root.append(RootRoute(rule, service))
    return RouteTable(services, tuple(root))


def load_table(path: str | Path | None = None) -> RouteTable:
    with open(path or DEFAULT_ROUTES_FILE, encoding="utf-8") as fh:
        return build_table(yaml.safe_load(fh) or {})
