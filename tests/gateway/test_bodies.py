"""A route's own body limit (`bodies:` in routes.yaml): larger than the gateway's
max_body_bytes, streamed through as it arrives; over the route's limit 413 problem+json,
whether the size is declared (Content-Length) or found mid-stream (chunked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.routes import DEFAULT_ROUTES_FILE, load_table
from tests.gateway.conftest import gateway_env
from tests.gateway.fakes import Backend, start_gateway
from tests.gateway.test_proxy import assert_problem

GATEWAY_LIMIT = 65_536  # the gw fixtures' max_body_bytes
IMPORT_LIMIT = 200_000


@pytest.fixture(scope="module")
async def gw_bodies(
    backend: Backend, log_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway on the real route table, but with a small limit for catalog's imports."""
    table = yaml.safe_load(DEFAULT_ROUTES_FILE.read_text())
    table["services"]["catalog"]["bodies"] = [
        {"methods": ["POST"], "path": "/imports", "max_body_bytes": IMPORT_LIMIT}
    ]
    routes = tmp_path_factory.mktemp("routes") / "routes.yaml"
    routes.write_text(yaml.safe_dump(table))
    proc = await start_gateway(gateway_env(backend, routes_file=str(routes)), log_dir)
    try:
        async with httpx.AsyncClient(base_url=proc.url, timeout=10) as client:
            yield client
    finally:
        proc.stop()


async def _chunks(data: bytes, size: int = 16_384) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_the_route_table_gives_catalog_imports_their_own_limit() -> None:
    catalog = load_table().service("catalog")
    assert catalog is not None
    assert catalog.max_body_bytes("POST", "/imports") == 1024**3
    assert catalog.max_body_bytes("GET", "/imports") is None
    assert catalog.max_body_bytes("POST", "/orgs") is None


async def test_a_large_import_is_streamed_through(
    gw_bodies: httpx.AsyncClient, bearer: Any
) -> None:
    data = bytes(range(256)) * 600  # 153,600 bytes: over the gateway's limit, under the route's
    assert GATEWAY_LIMIT < len(data) < IMPORT_LIMIT
    for content in (data, _chunks(data)):  # declared length, then chunked
        resp = await gw_bodies.post(
            "/v1/catalog/imports?kind=skus&format=csv", headers=bearer(), content=content
        )
        assert resp.status_code == 200, resp.text
        echoed = resp.json()
        assert (echoed["path"], echoed["query"]) == ("/svc/catalog/imports", "kind=skus&format=csv")
        assert echoed["body"].encode("latin-1") == data


async def test_over_the_route_limit_or_elsewhere_is_413(
    gw_bodies: httpx.AsyncClient, bearer: Any
) -> None:
    big = b"x" * (IMPORT_LIMIT + 1)
    for content in (big, _chunks(big)):  # refused up front, then mid-stream
        resp = await gw_bodies.post("/v1/catalog/imports", headers=bearer(), content=content)
        body = assert_problem(resp, 413, "payload_too_large")
        assert str(IMPORT_LIMIT) in body["detail"]
    # every other route keeps the gateway's limit, catalog's own included
    for path in ("/v1/catalog/orgs", "/v1/production/orders", "/v1/catalog/imports/x"):
        resp = await gw_bodies.post(path, headers=bearer(), content=b"x" * (GATEWAY_LIMIT + 1))
        body = assert_problem(resp, 413, "payload_too_large")
        assert str(GATEWAY_LIMIT) in body["detail"]


def test_a_body_rule_needs_a_positive_limit() -> None:
    from gateway.routes import build_table

    for bad in (None, 0, -1, "10MB", True):
        with pytest.raises(ValueError, match="max_body_bytes"):
            build_table(
                {
                    "services": {
                        "catalog": {
                            "spaces": ["PROVIDER"],
                            "bodies": [
                                {"methods": ["POST"], "path": "/imports", "max_body_bytes": bad}
                            ],
                        }
                    }
                }
            )
