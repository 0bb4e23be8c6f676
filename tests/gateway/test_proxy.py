"""The gateway as a process: forwarding, token and space checks, limits, failures.

Runs `python -m gateway` against the in-process echo backend and our own JWKS (see
conftest.py), so every claim can be crafted and every forwarded byte inspected.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.gateway.fakes import Backend, SigningKey, sign, unsigned

PROBLEM = "application/problem+json"


def assert_problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    for field in ("title", "detail", "instance"):
        assert body[field]
    assert body["request_id"] == resp.headers["x-request-id"]
    return body


async def test_healthz(gw: httpx.AsyncClient) -> None:
    resp = await gw.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert resp.headers["x-request-id"]


async def test_forwards_path_query_and_body(gw: httpx.AsyncClient, bearer: Any) -> None:
    resp = await gw.get(
        "/v1/production/orders/a%20b", params={"limit": "5", "q": "x y"}, headers=bearer()
    )
    assert resp.status_code == 200, resp.text
    echo = resp.json()
    assert echo["method"] == "GET"
    assert echo["raw_path"] == "/svc/production/orders/a%20b?limit=5&q=x+y"
    assert resp.headers["x-upstream"] == "echo"
    assert "ratelimit" in resp.headers and "ratelimit-policy" in resp.headers

    resp = await gw.post(
        "/v1/production/orders",
        json={"sku": "S-1", "qty": 2},
        headers={**bearer(), "Idempotency-Key": "k-1"},
    )
    echo = resp.json()
    assert resp.status_code == 200
    assert echo["method"] == "POST"
    assert echo["body"] == '{"sku":"S-1","qty":2}'
    assert echo["headers"]["content-type"] == "application/json"
    assert echo["headers"]["idempotency-key"] == "k-1"


async def test_upstream_status_passes_through(gw: httpx.AsyncClient, bearer: Any) -> None:
    resp = await gw.delete("/v1/production/orders/1", params={"status": "409"}, headers=bearer())
    assert resp.status_code == 409


async def test_request_id_propagation(gw: httpx.AsyncClient, backend: Backend, bearer: Any) -> None:
    rid = f"client-{uuid.uuid4().hex}"
    resp = await gw.get("/v1/production/orders", headers={**bearer(), "X-Request-Id": rid})
    assert resp.headers["x-request-id"] == rid  # ours, not the upstream's
    assert resp.json()["headers"]["x-request-id"] == rid

    resp = await gw.get("/v1/production/orders", headers=bearer())
    made = resp.headers["x-request-id"]
    assert len(made) >= 16 and resp.json()["headers"]["x-request-id"] == made

    for bad in ("x" * 129, "a b", "<script>"):
        resp = await gw.get("/v1/production/orders", headers={**bearer(), "X-Request-Id": bad})
        assert resp.headers["x-request-id"] != bad
        assert resp.json()["headers"]["x-request-id"] == resp.headers["x-request-id"]


async def test_forwarded_and_stripped_headers(gw: httpx.AsyncClient, bearer: Any) -> None:
    auth = bearer()
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    resp = await gw.get(
        "/v1/production/orders",
        headers={
            **auth,
            "traceparent": trace,
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Host": "evil.example",
            "X-Weft-Tenant": "someone-else",
            "X-Principal-Id": "root",
            "Forwarded": "for=6.6.6.6",
        },
    )
    sent = resp.json()["headers"]
    assert sent["authorization"] == auth["Authorization"]
    assert sent["traceparent"] == trace
    assert sent["x-forwarded-for"] == "127.0.0.1"
    assert sent["x-forwarded-proto"] == "http"
    assert sent["x-forwarded-host"] == gw.base_url.netloc.decode()
    for name in ("x-weft-tenant", "x-principal-id", "forwarded"):
        assert name not in sent

    resp = await gw.get("/v1/production/orders", headers={**auth, "traceparent": "junk"})
    assert "traceparent" not in resp.json()["headers"]


async def test_unknown_service_and_internal_paths(
    gw: httpx.AsyncClient, backend: Backend, bearer: Any
) -> None:
    assert_problem(await gw.get("/v1/billing/invoices", headers=bearer()), 404, "unknown_service")
    assert_problem(await gw.get("/nowhere"), 404, "not_found")
    for path in (
        "/v1/sync/internal/events",
        "/v1/production/internal",
        "/v1/production/%69nternal/events",
        "/v1/production//internal/events",
        "/v1/production/%2Finternal%2Fevents",
    ):
        rid = uuid.uuid4().hex
        resp = await gw.post(path, headers={**bearer(), "X-Request-Id": rid}, content=b"{}")
        assert_problem(resp, 404, "not_found")
        assert not backend.reached(rid)
    resp = await gw.get("/v1/production/a/%2E%2E/internal/events", headers=bearer())
    assert_problem(resp, 400, "invalid_path")


async def test_body_limit(gw: httpx.AsyncClient, bearer: Any) -> None:
    resp = await gw.post("/v1/production/orders", content=b"x" * 70_000, headers=bearer())
    assert_problem(resp, 413, "payload_too_large")


# --- token checks --------------------------------------------------------------------------


def _bad_tokens(key: SigningKey) -> dict[str, tuple[dict[str, str], str]]:
    other = SigningKey(kid=key.kid)  # same kid, another key: the signature cannot verify
    stranger = SigningKey(kid="nobody-knows-me")
    now = int(time.time())

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return {
        "missing": ({}, "missing_token"),
        "not bearer": ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_token"),
        "empty bearer": ({"Authorization": "Bearer"}, "invalid_token"),
        "malformed": (auth("not.a.jwt"), "invalid_token"),
        "garbage": (auth("abc"), "invalid_token"),
        "expired": (
            auth(sign(key, exp=now - 3600, iat=now - 4000, nbf=now - 4000)),
            "token_expired",
        ),
        "not yet valid": (auth(sign(key, nbf=now + 3600)), "invalid_token"),
        "bad signature": (auth(sign(other)), "invalid_token"),
        "unknown kid": (auth(sign(stranger)), "invalid_token"),
        "no kid": (auth(unsigned("", "ES256")), "invalid_token"),
        "alg none": (auth(unsigned(key.kid, "none")), "invalid_token"),
        "alg None": (auth(unsigned(key.kid, "None")), "invalid_token"),
        "HS256 with the public key": (
            auth(unsigned(key.kid, "HS256", secret=key.public_pem.encode())),
            "invalid_token",
        ),
        "HS256 with the JWK": (
            auth(unsigned(key.kid, "HS256", secret=str(key.jwk).encode())),
            "invalid_token",
        ),
        "wrong issuer": (auth(sign(key, iss="https://evil.example")), "invalid_token"),
        "wrong audience": (auth(sign(key, aud="someone-else")), "invalid_token"),
        "no tenant": (auth(sign(key, tid=None)), "invalid_token"),
        "no expiry": (auth(sign(key, exp=None)), "invalid_token"),
        "unknown space": (auth(sign(key, space="ROOT")), "invalid_token"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not bearer",
        "empty bearer",
        "malformed",
        "garbage",
        "expired",
        "not yet valid",
        "bad signature",
        "unknown kid",
        "no kid",
        "alg none",
        "alg None",
        "HS256 with the public key",
        "HS256 with the JWK",
        "wrong issuer",
        "wrong audience",
        "no tenant",
        "no expiry",
        "unknown space",
    ],
)
async def test_bad_tokens_are_refused_before_forwarding(
    gw: httpx.AsyncClient, backend: Backend, key: SigningKey, case: str
) -> None:
    headers, code = _bad_tokens(key)[case]
    rid = uuid.uuid4().hex
    resp = await gw.get("/v1/production/orders", headers={**headers, "X-Request-Id": rid})
    assert_problem(resp, 401, code)
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert not backend.reached(rid)


@pytest.mark.parametrize(
    ("service", "space", "allowed"),
    [
        ("production", "PROVIDER", True),
        ("production", "CLIENT", True),
        ("production", "DEVELOPER", True),  # API clients read by scope (issue 7)
        ("production", "ACCOUNTING", False),
        ("partner", "CLIENT", False),
        ("catalog", "ACCOUNTING", True),
        ("sync", "ACCOUNTING", False),
        ("identity", "ACCOUNTING", True),
    ],
)
async def test_space_of_the_route(
    gw: httpx.AsyncClient,
    backend: Backend,
    bearer: Any,
    service: str,
    space: str,
    allowed: bool,
) -> None:
    rid = uuid.uuid4().hex
    resp = await gw.get(
        f"/v1/{service}/things", headers={**bearer(space=space), "X-Request-Id": rid}
    )
    if allowed:
        assert resp.status_code == 200
    else:
        body = assert_problem(resp, 403, "wrong_space")
        assert space in body["detail"]
        assert not backend.reached(rid)


async def test_public_routes_need_no_token(gw: httpx.AsyncClient) -> None:
    for method, path in (
        ("POST", "/v1/identity/auth/login"),
        ("POST", "/v1/identity/auth/token"),
        ("POST", "/v1/identity/invites/tok123/accept"),
        ("GET", "/v1/identity/.well-known/jwks.json"),
        ("GET", "/v1/quality/passports/p-1"),
        ("GET", "/v1/sync/healthz"),
        ("GET", "/v1/catalog/readyz"),
    ):
        resp = await gw.request(method, path)
        assert resp.status_code == 200, (method, path, resp.text)
        assert "ratelimit" in resp.headers
    assert_problem(await gw.get("/v1/quality/passports"), 401, "missing_token")
    assert_problem(await gw.delete("/v1/quality/passports/p-1"), 401, "missing_token")


# --- upstream failures ---------------------------------------------------------------------


async def test_upstream_down_is_502_fast(gw: httpx.AsyncClient, bearer: Any) -> None:
    start = time.monotonic()
    resp = await gw.get("/v1/partner/projects", headers=bearer())
    assert_problem(resp, 502, "upstream_unreachable")
    assert resp.headers["ratelimit"]
    assert time.monotonic() - start < 2.0


async def test_upstream_slow_is_504_bounded(gw: httpx.AsyncClient, bearer: Any) -> None:
    start = time.monotonic()
    resp = await gw.get("/v1/production/slow", params={"s": "5"}, headers=bearer())
    elapsed = time.monotonic() - start
    assert_problem(resp, 504, "upstream_timeout")
    assert 0.9 < elapsed < 3.0  # the 1 s timeout this gateway runs with


async def test_event_streams_pass_through_without_the_timeout(
    gw: httpx.AsyncClient, bearer: Any
) -> None:
    headers = {**bearer(), "Accept": "text/event-stream", "X-Request-Id": "sse-1"}
    async with gw.stream("GET", "/v1/quality/events/stream", headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "text/event-stream"
        assert resp.headers["x-request-id"] == "sse-1"
        chunks = resp.aiter_text()
        first = await anext(chunks)  # arrives before the stream ends
        assert first.startswith("id: 0")
        rest = "".join([chunk async for chunk in chunks])
    # 1.2 s in all, longer than this gateway's 1 s upstream timeout
    assert "id: 2" in first + rest


async def test_circuit_opens_after_failures(gw_low: httpx.AsyncClient, bearer: Any) -> None:
    auth = bearer()  # a tenant of its own, below its limit of 3
    assert_problem(await gw_low.get("/v1/partner/a", headers=auth), 502, "upstream_unreachable")
    assert_problem(await gw_low.get("/v1/partner/b", headers=auth), 502, "upstream_unreachable")
    resp = await gw_low.get("/v1/partner/c", headers=auth)
    assert_problem(resp, 503, "upstream_unavailable")
    assert resp.headers["retry-after"]


# --- rate limits ---------------------------------------------------------------------------


async def test_tenant_rate_limit(gw_low: httpx.AsyncClient, bearer: Any) -> None:
    tid = str(uuid.uuid4())
    seen = []
    for _ in range(3):
        # different users of one tenant share the tenant's bucket
        resp = await gw_low.get("/v1/production/orders", headers=bearer(tid=tid))
        assert resp.status_code == 200
        assert resp.headers["ratelimit-policy"] == '"tenant";q=3;w=60'
        seen.append(resp.headers["ratelimit"])
    assert [s.split(";")[1] for s in seen] == ["r=2", "r=1", "r=0"]
    resp = await gw_low.get("/v1/production/orders", headers=bearer(tid=tid))
    assert_problem(resp, 429, "rate_limited")
    assert resp.headers["ratelimit-policy"] == '"tenant";q=3;w=60'
    assert resp.headers["ratelimit"].startswith('"tenant";r=0;t=')
    assert 1 <= int(resp.headers["retry-after"]) <= 20
    # another tenant is not affected
    assert (await gw_low.get("/v1/production/orders", headers=bearer())).status_code == 200


async def test_api_client_rate_limit(gw_low: httpx.AsyncClient, bearer: Any) -> None:
    tid, client = str(uuid.uuid4()), f"cli_{uuid.uuid4().hex}"
    auth = bearer(tid=tid, space="DEVELOPER", sub=client, client_id=client)
    for _ in range(2):
        resp = await gw_low.get("/v1/catalog/offerings", headers=auth)
        assert resp.status_code == 200
        assert resp.headers["ratelimit-policy"] == '"tenant";q=3;w=60, "client";q=2;w=60'
    resp = await gw_low.get("/v1/sync/events", headers=auth)
    assert_problem(resp, 429, "rate_limited")
    assert '"client";r=0' in resp.headers["ratelimit"]
    # the same tenant's PROVIDER users still have their tenant quota left (3 - 2)
    assert (await gw_low.get("/v1/production/x", headers=bearer(tid=tid))).status_code == 200


async def test_public_routes_are_limited_per_address(
    gw_low: httpx.AsyncClient, gw_low_proc: Any
) -> None:
    # this test owns the address bucket of gw_low (4 per minute); run it last among gw_low users
    statuses = [
        (await gw_low.post("/v1/identity/auth/login", json={})).status_code for _ in range(5)
    ]
    assert statuses[-1] == 429
    resp = await gw_low.post("/v1/identity/auth/login", json={})
    assert_problem(resp, 429, "rate_limited")
    assert resp.headers["ratelimit-policy"] == '"ip";q=4;w=60'


# --- OpenAPI -------------------------------------------------------------------------------


async def test_merged_openapi_from_the_services(gw: httpx.AsyncClient) -> None:
    resp = await gw.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert "/v1/catalog/products" in doc["paths"]
    assert "/v1/production/products/{sku}" in doc["paths"]
    assert "/v1/production/internal/events" not in doc["paths"]
    assert {"ProductionProduct", "CatalogProduct", "Problem"} <= set(doc["components"]["schemas"])


async def test_docs_page(gw: httpx.AsyncClient) -> None:
    resp = await gw.get("/docs")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in resp.text and "swagger-ui" in resp.text


async def test_digital_link_at_the_root_reaches_quality(gw: httpx.AsyncClient) -> None:
    """GS1 Digital Link URIs live at the root: public, forwarded to quality at the same path,
    with no /v1 prefix for the service to put in Location or problem instances."""
    resp = await gw.get("/01/09506000134352/10/LOT-1", headers={"Accept": "text/html"})
    assert resp.status_code == 200, resp.text
    echo = resp.json()
    assert echo["raw_path"] == "/svc/quality/01/09506000134352/10/LOT-1"
    assert "x-forwarded-prefix" not in echo["headers"]
    assert "authorization" not in echo["headers"]
    assert "ratelimit" in resp.headers
    assert (await gw.head("/01/09506000134352/10/LOT-1")).status_code == 200
    # only the table's root routes: other methods and paths stay 404
    assert_problem(await gw.post("/01/09506000134352/10/LOT-1"), 404, "not_found")
    assert_problem(await gw.get("/01/09506000134352/21/SERIAL"), 404, "not_found")
    assert_problem(await gw.get("/passports/p-1"), 404, "not_found")
