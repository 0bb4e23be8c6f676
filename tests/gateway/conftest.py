"""Gateway fixtures: our own signing key and JWKS, an echo backend, and gateway processes.

`gw` is a real `python -m gateway` process whose services all point at the in-process echo
backend (partner points at a closed port, to be "down"), with a 1 s upstream timeout and
high rate limits. `gw_low` is a second process with low limits and a small circuit
threshold. Both verify tokens against the JWKS of `key`, so tests can sign any claims.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from libs.common.app import create_service_app
from libs.common.settings import ServiceSettings
from tests.gateway.fakes import Backend, GatewayProcess, SigningKey, start_gateway
from tools.pg import free_port

ECHO_SERVICES = ("identity", "production", "quality", "catalog", "sync")


# --- specs the fake services publish (built by the real kit, like the services do) -------


class ProductionProduct(BaseModel):
    sku: str
    name: str


class CatalogProduct(BaseModel):
    id: str
    price: str
    currency: str


class Passport(BaseModel):
    id: str
    product_name: str


def _spec(name: str, router: APIRouter) -> dict[str, Any]:
    app = create_service_app(
        settings=ServiceSettings(service_name=name),
        title=f"{name} service",
        description=f"The {name} part of Weft.",
        routers=[router],
    )
    return app.openapi()


def _production_router() -> APIRouter:
    router = APIRouter(tags=["products"])

    @router.get("/products", response_model=list[ProductionProduct])
    async def list_products() -> list[ProductionProduct]:
        return []

    @router.get("/products/{sku}", response_model=ProductionProduct)
    async def get_product(sku: str) -> ProductionProduct:
        raise NotImplementedError

    @router.post("/internal/events")
    async def ingest_events() -> None:
        return None

    return router


def _catalog_router() -> APIRouter:
    router = APIRouter(tags=["catalog"])

    # the same operation id and model name as production, with another shape
    @router.get("/products", response_model=list[CatalogProduct])
    async def list_products() -> list[CatalogProduct]:
        return []

    return router


def _quality_router() -> APIRouter:
    router = APIRouter(tags=["passports"])

    @router.get("/passports/{passport_id}", response_model=Passport)
    async def get_passport(passport_id: str) -> Passport:
        raise NotImplementedError

    @router.get("/passports", response_model=list[Passport])
    async def list_passports() -> list[Passport]:
        return []

    return router


def build_specs() -> dict[str, dict[str, Any]]:
    production = _production_router()
    catalog = _catalog_router()
    quality = _quality_router()
    specs = {
        "production": _spec("production", production),
        "catalog": _spec("catalog", catalog),
        "quality": _spec("quality", quality),
    }
    # Pydantic names the schema after the class; give both the same name, as two
    # services each defining `Product` would.
    for svc, cls in (("production", "ProductionProduct"), ("catalog", "CatalogProduct")):
        raw = json.dumps(specs[svc]).replace(
            f'"#/components/schemas/{cls}"', '"#/components/schemas/Product"'
        )
        specs[svc] = json.loads(raw)
        schemas = specs[svc]["components"]["schemas"]
        schemas["Product"] = schemas.pop(cls)
        schemas["Product"]["title"] = "Product"
    return specs


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return SigningKey(kid="gw-test-key-1")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gateway-logs")


@pytest.fixture(scope="session")
async def backend(key: SigningKey) -> AsyncIterator[Backend]:
    b = Backend({"keys": [key.jwk]}, build_specs())
    await b.start()
    yield b
    await b.stop()


def gateway_env(backend: Backend, **extra: Any) -> dict[str, str]:
    urls = {name: backend.service_url(name) for name in ECHO_SERVICES}
    urls["partner"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {
        "WEFT_GATEWAY_ENVIRONMENT": "test",
        "WEFT_GATEWAY_JWKS_URL": f"{backend.url}/.well-known/jwks.json",
        "WEFT_GATEWAY_SERVICE_URLS": json.dumps(urls),
        "WEFT_GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "1.0",
        "WEFT_GATEWAY_MAX_BODY_BYTES": "65536",
        "WEFT_GATEWAY_RATE_LIMIT_TENANT": "100000",
        "WEFT_GATEWAY_RATE_LIMIT_CLIENT": "100000",
        "WEFT_GATEWAY_RATE_LIMIT_IP": "100000",
    }
    env.update({f"WEFT_GATEWAY_{k.upper()}": str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="session")
async def gw_proc(backend: Backend, log_dir: Path) -> AsyncIterator[GatewayProcess]:
    proc = await start_gateway(gateway_env(backend), log_dir)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
async def gw_low_proc(backend: Backend, log_dir: Path) -> AsyncIterator[GatewayProcess]:
    proc = await start_gateway(
        gateway_env(
            backend,
            rate_limit_tenant=3,
            rate_limit_client=2,
            rate_limit_ip=4,
            rate_limit_window_seconds=60,
            circuit_failure_threshold=2,
            circuit_open_seconds=30,
        ),
        log_dir,
    )
    yield proc
    proc.stop()


@pytest.fixture
async def gw(gw_proc: GatewayProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gw_proc.url, timeout=10) as client:
        yield client


@pytest.fixture
async def gw_low(gw_low_proc: GatewayProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gw_low_proc.url, timeout=10) as client:
        yield client


@pytest.fixture
def bearer(key: SigningKey) -> Iterator[Any]:
    from tests.gateway.fakes import sign

    def make(**claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {sign(key, **claims)}"}

    yield make
