"""The OpenAPI documents as generated SDKs see them: built by the real kit, merged by
libs.openapi, validated as OpenAPI 3.1 (no processes needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status
from openapi_spec_validator import validate
from pydantic import BaseModel

from gateway.routes import load_table
from libs.common.app import create_service_app
from libs.common.auth import Principal, Space
from libs.common.deps import CurrentPrincipal, require
from libs.common.errors import PROBLEM_JSON, Conflict, NotFound, errors
from libs.common.etag import IfMatchVersion, check_if_match, ensure_version
from libs.common.pagination import Page, PageParams
from libs.common.settings import ServiceSettings
from libs.openapi import merge


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


class InvalidGateMove(Conflict):
    code, title = "invalid_gate_move", "Invalid gate move"


class Lot(BaseModel):
    id: str
    version: int


class LotCreate(BaseModel):
    name: str


def _router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/lots",
        response_model=Page[Lot],
        dependencies=[Depends(require(Space.PROVIDER, Space.CLIENT, perm="lots:read"))],
    )
    async def list_lots(params: PageParams = Depends()) -> Page[Lot]:
        raise NotImplementedError

    @router.post(
        "/lots",
        response_model=Lot,
        status_code=status.HTTP_201_CREATED,
        dependencies=[Depends(require(Space.PROVIDER, perm="lots:write"))],
    )
    async def create_lot(body: LotCreate) -> Lot:
        raise NotImplementedError

    @router.get("/lots/{lot_id}", response_model=Lot, responses=errors(LotNotFound))
    async def get_lot(lot_id: str, principal: CurrentPrincipal) -> Lot:
        raise NotImplementedError

    @router.post(
        "/lots/{lot_id}/move",
        response_model=Lot,
        responses=errors(LotNotFound, InvalidGateMove),
    )
    async def move_lot(
        lot_id: str,
        request: Request,
        response: Response,
        principal: Principal = Depends(require(Space.PROVIDER, perm="lots:write")),
    ) -> Lot:
        check_if_match(request, 1)
        raise NotImplementedError

    @router.patch("/lots/{lot_id}", response_model=Lot)
    async def update_lot(lot_id: str, expected: IfMatchVersion, principal: CurrentPrincipal) -> Lot:
        ensure_version(expected, 1)
        raise NotImplementedError

    return router


def _spec() -> dict[str, Any]:
    app = create_service_app(
        settings=ServiceSettings(service_name="production"),
        title="production",
        description="Lots.",
        routers=[_router()],
    )
    return app.openapi()


def _ops(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }


def _params(doc: dict[str, Any], op: dict[str, Any]) -> set[str]:
    out = set()
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]
        out.add(p["name"])
    return out


def test_service_document_errors_are_problems_with_their_codes() -> None:
    doc = _spec()
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for (path, method), op in _ops(doc).items():
        assert "422" in op["responses"], (path, method)
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == [PROBLEM_JSON], (path, method, code)
                ref = response["content"][PROBLEM_JSON]["schema"]["$ref"]
                assert ref == "#/components/schemas/Problem"
                assert response["x-problem-codes"], (path, method, code)
    ops = _ops(doc)
    get_lot = ops[("/lots/{lot_id}", "get")]["responses"]
    assert get_lot["404"]["x-problem-codes"][0] == "lot_not_found"
    assert "lot_not_found" in get_lot["404"]["description"]
    assert doc["components"]["examples"]["lot_not_found"]["value"]["code"] == "lot_not_found"
    move = ops[("/lots/{lot_id}/move", "post")]["responses"]
    assert {"invalid_gate_move", "idempotency_in_flight"} <= set(move["409"]["x-problem-codes"])
    assert "version_mismatch" in move["412"]["x-problem-codes"]
    listing = ops[("/lots", "get")]["responses"]
    assert "invalid_cursor" in listing["400"]["x-problem-codes"]
    assert "validation_failed" in listing["422"]["x-problem-codes"]
    create = ops[("/lots", "post")]["responses"]
    assert "invalid_json" in create["400"]["x-problem-codes"]


def test_service_document_headers() -> None:
    doc = _spec()
    ops = _ops(doc)
    create = ops[("/lots", "post")]
    assert "Idempotency-Key" in _params(doc, create)
    assert set(create["responses"]["201"]["headers"]) >= {
        "ETag",
        "Location",
        "Idempotent-Replayed",
    }
    # honoured where the endpoint checks it: declared (IfMatchVersion) or read in its code
    assert "If-Match" in _params(doc, ops[("/lots/{lot_id}", "patch")])
    assert "If-Match" in _params(doc, ops[("/lots/{lot_id}/move", "post")])
    assert "If-Match" not in _params(doc, ops[("/lots", "post")])
    assert "Idempotency-Key" not in _params(doc, ops[("/lots", "get")])
    # access from the route's own check
    assert ops[("/lots", "post")]["x-weft-spaces"] == ["PROVIDER"]
    assert ops[("/lots", "post")]["x-weft-permissions"] == ["lots:write"]
    assert ops[("/lots", "get")]["x-weft-spaces"] == ["CLIENT", "PROVIDER"]


def test_merged_document_spaces_come_from_the_route_check() -> None:
    doc = merge({"production": _spec()}, load_table().access, servers=[{"url": "https://x"}])
    validate(doc)
    ops = _ops(doc)
    create = ops[("/v1/production/lots", "post")]
    # the edge admits PROVIDER and CLIENT on production; the route only PROVIDER
    assert create["x-weft-spaces"] == ["PROVIDER"]
    assert "Open to the spaces: PROVIDER." in create["description"]
    assert "CLIENT" not in create["description"]
    assert "`lots:write`" in create["description"]
    listing = ops[("/v1/production/lots", "get")]
    assert "Open to the spaces: CLIENT, PROVIDER." in listing["description"]
    # every operation may be rate limited at the edge
    for op in ops.values():
        assert "rate_limited" in op["responses"]["429"]["x-problem-codes"]
        assert "Retry-After" in op["responses"]["429"]["headers"]
        assert (
            "RateLimit" in op["responses"]["200" if "200" in op["responses"] else "201"]["headers"]
        )
    assert doc["servers"] == [{"url": "https://x"}]
    opids = [op["operationId"] for op in ops.values()]
    assert len(opids) == len(set(opids))
