"""The kit's small rules, in-process: If-Match, free-form JSON bounds, typed errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from libs.common.errors import PROBLEM_JSON, AppError, NotFound, errors, problem_body
from libs.common.etag import NO_VERSION, ensure_version, if_match_version, matches
from libs.common.freejson import FreeJson, free_json, json_depth


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), ('"3"', 3), ('W/"3"', 3), ('"3", "4"', 3), ("nope", NO_VERSION)],
)
def test_if_match_version(header: str | None, version: int | None) -> None:
    assert if_match_version(header) == version


def test_if_match_matches_and_refuses() -> None:
    assert matches(None, 3) and matches("*", 3) and matches('W/"2", "3"', 3)
    assert not matches('"2"', 3)
    ensure_version(None, 3)
    ensure_version(3, 3)
    with pytest.raises(AppError) as refused:
        ensure_version(2, 3)
    assert (refused.value.status, refused.value.code) == (412, "version_mismatch")


class _Plant(BaseModel):
    address: FreeJson = {}
    meta: free_json(max_depth=2, max_bytes=64) = {}  # type: ignore[valid-type]


def _nested(depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(depth - 1):
        out = {"x": out}
    return out


def test_free_json_bounds() -> None:
    assert json_depth({}) == 1 and json_depth(_nested(5)) == 5 and json_depth(1) == 0
    _Plant(address=_nested(16))
    with pytest.raises(ValidationError, match="16 are allowed"):
        _Plant(address=_nested(17))
    with pytest.raises(ValidationError, match="levels deep"):
        _Plant(address=_nested(600))
    with pytest.raises(ValidationError, match="bytes"):
        _Plant(address={"s": "x" * 17 * 1024})
    with pytest.raises(ValidationError):
        _Plant(meta={"a": {"b": {}}})
    schema = _Plant.model_json_schema()["properties"]["address"]
    assert schema["x-max-depth"] == 16


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


def test_typed_errors_document_their_codes() -> None:
    responses = errors(LotNotFound, NotFound, 409)
    assert set(responses) == {404, 409}
    entry = responses[404]
    assert entry["x-problem-codes"] == ["lot_not_found", "not_found"]
    assert "`lot_not_found`" in entry["description"]
    assert entry["content"][PROBLEM_JSON]["examples"]["lot_not_found"]["value"]["status"] == 404
    assert responses[409]["x-problem-codes"] == []
    err = LotNotFound("No lot 7")
    assert (err.status, err.code, err.detail) == (404, "lot_not_found", "No lot 7")


def test_one_problem_body() -> None:
    body = problem_body(431, "header_too_large", detail="d", request_id="r")
    assert body == {
        "type": "https://weft.dev/problems/header_too_large",
        "title": "Request Header Fields Too Large",
        "status": 431,
        "detail": "d",
        "instance": None,
        "code": "header_too_large",
        "request_id": "r",
    }
