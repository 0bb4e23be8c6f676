"""The gateway's pure parts: the route table, the token buckets, the OpenAPI merge."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from gateway.ratelimit import Policy, RateLimiter
from gateway.routes import Access, RouteTable, build_table, load_table
from gateway.upstream import forward_headers
from libs.common.auth import Space
from libs.openapi import merge
from tests.gateway.conftest import build_specs

ALL = set(Space)


@pytest.mark.parametrize(
    ("service", "method", "path", "public", "spaces"),
    [
        ("identity", "POST", "/auth/login", True, set()),
        ("identity", "POST", "/auth/token", True, set()),
        ("identity", "POST", "/auth/refresh", True, set()),
        ("identity", "POST", "/invites/abc123/accept", True, set()),
        ("identity", "GET", "/.well-known/jwks.json", True, set()),
        ("identity", "GET", "/auth/login", False, ALL),  # only POST is public
        ("identity", "POST", "/invites/abc/def/accept", False, ALL),  # one segment only
        ("identity", "GET", "/me", False, ALL),
        ("production", "GET", "/healthz", True, set()),
        ("sync", "GET", "/readyz", True, set()),
        ("catalog", "GET", "/openapi.json", True, set()),
        ("production", "GET", "/orders", False, {Space.PROVIDER, Space.CLIENT, Space.DEVELOPER}),
        ("quality", "GET", "/passports/0193", True, set()),
        ("quality", "HEAD", "/passports/0193", True, set()),
        ("quality", "POST", "/passports/0193", False, {Space.PROVIDER, Space.CLIENT}),
        ("quality", "GET", "/passports", False, {Space.PROVIDER, Space.CLIENT}),
        ("quality", "PUT", "/objects/a/\nb", True, set()),  # a newline in a wildcard's tail
        ("quality", "GET", "/01/09506000134352/10/\n\u00b1", True, set()),
        ("quality", "GET", "/passports/0193/pdf", False, {Space.PROVIDER, Space.CLIENT}),
        ("catalog", "GET", "/price-books", False, ALL),
        ("partner", "GET", "/projects", False, {Space.DEVELOPER, Space.PROVIDER}),
        ("sync", "GET", "/subscriptions", False, {Space.PROVIDER, Space.CLIENT, Space.DEVELOPER}),
    ],
)
def test_route_table(
    service: str, method: str, path: str, public: bool, spaces: set[Space]
) -> None:
    access = load_table().access(service, method, path)
    assert access is not None
    assert access.public is public
    assert set(access.spaces) == spaces


def known(table: RouteTable, service: str, method: str, path: str) -> Access:
    access = table.access(service, method, path)
    assert access is not None, f"{service} {method} {path}: no rule"
    return access


def test_unknown_service_has_no_rules() -> None:
    assert load_table().access("billing", "GET", "/x") is None


def test_overrides_and_wildcards() -> None:
    table = build_table(
        {
            "services": {
                "catalog": {
                    "spaces": ["PROVIDER", "CLIENT"],
                    "public": [{"methods": ["GET"], "path": "/public/**"}],
                    "overrides": [
                        {"methods": ["GET"], "path": "/price-books/**", "spaces": ["ACCOUNTING"]},
                        {"path": "/tickets/{id}", "spaces": ["CLIENT"]},
                    ],
                }
            }
        }
    )
    assert known(table, "catalog", "GET", "/public").public
    assert known(table, "catalog", "GET", "/public/a/b").public
    assert not known(table, "catalog", "GET", "/publicity").public
    price = table.access("catalog", "GET", "/price-books/1/rules")
    assert price is not None and price.spaces == {Space.ACCOUNTING}
    assert known(table, "catalog", "POST", "/price-books/1").spaces == {
        Space.PROVIDER,
        Space.CLIENT,
    }
    assert known(table, "catalog", "DELETE", "/tickets/9").spaces == {Space.CLIENT}


def test_bad_table_is_refused() -> None:
    with pytest.raises(ValueError):
        build_table({"services": {"x": {"spaces": ["NOBODY"]}}})
    with pytest.raises(ValueError):
        build_table({"services": {"x": {"public": [{"methods": ["FETCH"], "path": "/a"}]}}})


# --- rate limits ---------------------------------------------------------------------------


def test_token_bucket_refuses_then_refills() -> None:
    limiter = RateLimiter()
    policy = Policy("tenant", 3, 60)  # one request per 20 s
    outcomes = [limiter.hit([(policy, "tenant:a")], now=100.0) for _ in range(4)]
    assert [o.allowed for o in outcomes] == [True, True, True, False]
    assert outcomes[0].headers()["RateLimit-Policy"] == '"tenant";q=3;w=60'
    assert outcomes[0].headers()["RateLimit"] == '"tenant";r=2;t=20'
    refused = outcomes[3].headers()
    assert refused["RateLimit"].startswith('"tenant";r=0;')
    assert refused["Retry-After"] == "20"
    # another tenant has its own bucket
    assert limiter.hit([(policy, "tenant:b")], now=100.0).allowed
    # 20 s later one request is back
    assert limiter.hit([(policy, "tenant:a")], now=120.5).allowed
    assert not limiter.hit([(policy, "tenant:a")], now=120.6).allowed


def test_all_buckets_or_none() -> None:
    limiter = RateLimiter()
    tenant, client = Policy("tenant", 10, 60), Policy("client", 1, 60)
    first = limiter.hit([(tenant, "t"), (client, "c")], now=0.0)
    assert first.allowed
    assert first.headers()["RateLimit-Policy"] == '"tenant";q=10;w=60, "client";q=1;w=60'
    second = limiter.hit([(tenant, "t"), (client, "c")], now=0.0)
    assert not second.allowed
    # the refused request did not cost the tenant bucket anything
    assert second.headers()["RateLimit"].startswith('"tenant";r=9;')


# --- headers -------------------------------------------------------------------------------


def test_forward_headers_strip_what_only_the_gateway_sets() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    incoming = CIMultiDictProxy(
        CIMultiDict(
            [
                ("Authorization", "Bearer x"),
                ("X-Weft-Tenant", "evil"),
                ("X-Principal-Id", "evil"),
                ("X-Forwarded-For", "6.6.6.6"),
                ("Forwarded", "for=6.6.6.6"),
                ("Connection", "keep-alive, X-Secret-Hop"),
                ("X-Secret-Hop", "1"),
                ("Keep-Alive", "timeout=5"),
                ("Host", "public.example"),
                ("Accept", "application/json"),
                ("traceparent", "not-a-trace"),
                ("Idempotency-Key", "k1"),
            ]
        )
    )
    out = forward_headers(
        incoming,
        request_id="rid-1",
        client_ip="10.0.0.1",
        forwarded_for=None,
        proto="https",
        host="public.example",
    )
    assert dict(out) == {
        "Authorization": "Bearer x",
        "Accept": "application/json",
        "Idempotency-Key": "k1",
        "X-Request-Id": "rid-1",
        "X-Forwarded-For": "10.0.0.1",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example",
    }


# --- OpenAPI merge -------------------------------------------------------------------------


def test_merged_openapi_is_valid_and_readable() -> None:
    doc = merge(build_specs(), load_table().access)
    validate(doc)  # OpenAPI 3.1 (detected from the document)
    paths = doc["paths"]
    assert "/v1/production/products" in paths
    assert "/v1/catalog/products" in paths
    assert not any("/internal/" in p for p in paths)
    ops = {
        (path, method): op
        for path, item in paths.items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    opids = [op["operationId"] for op in ops.values()]
    assert len(opids) == len(set(opids))
    # unique ids kept, colliding ones prefixed with the service
    assert ops[("/v1/production/products/{sku}", "get")]["operationId"] == "get_product"
    assert ops[("/v1/production/products", "get")]["operationId"] == "production_list_products"
    assert ops[("/v1/catalog/products", "get")]["operationId"] == "catalog_list_products"
    assert ops[("/v1/quality/healthz", "get")]["operationId"] == "quality_healthz"
    # one tag per service
    assert ops[("/v1/catalog/products", "get")]["tags"] == ["catalog"]
    assert {t["name"] for t in doc["tags"]} == {"production", "catalog", "quality"}
    # colliding, different schemas are prefixed and their refs rewritten; identical ones shared
    schemas = doc["components"]["schemas"]
    assert "ProductionProduct" in schemas and "CatalogProduct" in schemas
    assert "Product" not in schemas
    assert "Problem" in schemas and "QualityProblem" not in schemas
    item_ref = ops[("/v1/catalog/products", "get")]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["items"]["$ref"]
    assert item_ref == "#/components/schemas/CatalogProduct"
    # security: bearer by default, none on public routes
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert ops[("/v1/quality/passports/{passport_id}", "get")]["security"] == []
    assert "security" not in ops[("/v1/quality/passports", "get")]
    assert ops[("/v1/production/healthz", "get")]["security"] == []


def test_merge_of_nothing_is_valid() -> None:
    validate(merge({}, load_table().access))


# --- root routes (GS1 Digital Link) --------------------------------------------------------


def test_root_routes_go_to_their_service() -> None:
    table = load_table()
    assert table.root_service("GET", "/01/09506000134352/10/LOT-1") == "quality"
    assert table.root_service("HEAD", "/01/09506000134352/10/LOT-1") == "quality"
    assert table.root_service("POST", "/01/09506000134352/10/LOT-1") is None
    assert table.root_service("GET", "/01/09506000134352/10/LOT-1/x") is None
    assert table.root_service("GET", "/passports/p-1") is None
    assert table.at_root("quality", "GET", "/01/{gtin}/10/{lot_number}")
    assert not table.at_root("quality", "GET", "/passports/{passport_id}")


def test_root_route_must_be_a_public_route_of_a_known_service() -> None:
    public = {"public": [{"methods": ["GET"], "path": "/01/{gtin}/10/{lot}"}]}
    route = {"methods": ["GET"], "path": "/01/{gtin}/10/{lot}", "service": "quality"}
    ok_table = build_table(
        {"services": {"quality": {"spaces": ["PROVIDER"], **public}}, "root": [route]}
    )
    assert ok_table.root_service("GET", "/01/1/10/2") == "quality"
    with pytest.raises(ValueError, match="unknown service"):
        build_table({"services": {}, "root": [route]})
    with pytest.raises(ValueError, match="not a public route"):
        build_table({"services": {"quality": {"spaces": ["PROVIDER"]}}, "root": [route]})


def test_merged_document_lists_root_routes() -> None:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "q", "version": "1"},
        "paths": {
            "/01/{gtin}/10/{lot_number}": {
                "get": {
                    "operationId": "resolve_digital_link",
                    "parameters": [
                        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                        for n in ("gtin", "lot_number")
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    doc = merge(
        {"quality": spec}, load_table().access, at_root=load_table().at_root, edge_errors=False
    )
    validate(doc)
    root = doc["paths"]["/01/{gtin}/10/{lot_number}"]["get"]
    prefixed = doc["paths"]["/v1/quality/01/{gtin}/10/{lot_number}"]["get"]
    assert root["operationId"] == "resolve_digital_link_at_root"
    assert prefixed["operationId"] == "resolve_digital_link"
    assert root["security"] == [] and prefixed["security"] == []
