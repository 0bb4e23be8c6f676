"""The OpenAPI diff engine: every rule proved by a spec pair with its expected verdict
(tests/partner/diff_fixtures), plus locations, references and cycles."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openapi_spec_validator import validate

from services.partner.diff import RULES, Level, diff_specs
from tests.partner.fixtures_diff import Pair, load_pairs

PAIRS = load_pairs()


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_fixture_verdict(pair: Pair) -> None:
    report = diff_specs(pair.old, pair.new)
    assert report.rule_ids() == pair.expect
    for finding in report.findings:
        assert finding.level is RULES[finding.rule_id]
    levels = [f.level for f in report.findings]
    assert report.summary.breaking == levels.count(Level.BREAKING)
    assert report.summary.warning == levels.count(Level.WARNING)
    assert report.summary.info == levels.count(Level.INFO)
    assert report.summary.total == len(report.findings)
    assert report.breaking == report.summary.breaking
    assert report.model_dump()["breaking"] == levels.count(Level.BREAKING)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_fixture_documents_are_openapi(pair: Pair) -> None:
    if not pair.valid:
        with pytest.raises(Exception, match="not resolved"):
            validate(pair.old)
        return
    validate(pair.old)
    validate(pair.new)


def test_every_rule_is_proved_by_a_fixture() -> None:
    expected = set().union(*(p.expect for p in PAIRS))
    assert set(RULES) - expected == set()
    assert expected - set(RULES) == set()


def test_the_catalog_covers_the_common_breaking_changes() -> None:
    breaking = [rule for rule, level in RULES.items() if level is Level.BREAKING]
    assert len(breaking) >= 40
    for rule in (
        "api-path-removed-without-deprecation",
        "api-removed-without-deprecation",
        "request-property-became-required",
        "response-required-property-removed",
        "request-parameter-type-changed",
        "request-property-enum-value-removed",
        "new-required-request-parameter",
        "request-body-became-required",
        "response-success-status-removed",
        "api-security-removed",
    ):
        assert RULES[rule] is Level.BREAKING, rule
    assert RULES["endpoint-added"] is Level.INFO
    assert RULES["endpoint-deprecated"] is Level.INFO
    assert RULES["new-optional-request-parameter"] is Level.INFO
    assert RULES["request-parameter-removed"] is Level.WARNING


def _pets(name_schema: dict[str, Any], ops: int = 1) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
    paths = {
        f"/pets{i}": {"post": {"requestBody": body, "responses": {"200": {"description": "ok"}}}}
        for i in range(ops)
    }
    pet = {
        "type": "object",
        "properties": {
            "name": name_schema,
            "friends": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
            "owner": {"$ref": "#/components/schemas/Owner"},
        },
    }
    owner = {"type": "object", "properties": {"pet": {"$ref": "#/components/schemas/Pet"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "pets", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Pet": pet, "Owner": owner}},
    }


def test_locations_follow_the_operation_that_reaches_the_schema() -> None:
    report = diff_specs(_pets({"type": "string"}), _pets({"type": "integer"}))
    [finding] = report.findings
    assert finding.rule_id == "request-property-type-changed"
    assert finding.location.path == "/pets0"
    assert finding.location.method == "post"
    assert finding.location.media_type == "application/json"
    assert finding.location.property == "/name"
    assert finding.location.pointer == (
        "/paths/~1pets0/post/requestBody/content/application~1json/schema/properties/name"
    )
    assert '["string"]' in finding.message and '["integer"]' in finding.message


def test_a_shared_schema_is_reported_for_every_operation_using_it() -> None:
    report = diff_specs(_pets({"type": "string"}, ops=3), _pets({"type": "integer"}, ops=3))
    assert sorted(f.location.path or "" for f in report.findings) == ["/pets0", "/pets1", "/pets2"]


def test_mutual_recursion_terminates_and_finds_the_change_once_per_place() -> None:
    old, new = _pets({"type": "string"}), _pets({"type": "string"})
    new["components"]["schemas"]["Owner"]["properties"]["pet"] = {"type": "string"}
    report = diff_specs(old, new)
    assert [(f.rule_id, f.location.property) for f in report.findings] == [
        ("request-property-type-changed", "/owner/pet")
    ]


def test_parameter_location_names_the_parameter() -> None:
    def spec(maximum: int) -> dict[str, Any]:
        param = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": maximum}}
        return {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/items": {"get": {"parameters": [param], "responses": {}}}},
        }

    [finding] = diff_specs(spec(100), spec(50)).findings
    assert finding.rule_id == "request-parameter-max-decreased"
    assert finding.location.parameter == "query:limit"
    assert finding.location.pointer == "/paths/~1items/get/parameters/0/schema"
    assert "from 100 to 50" in finding.message


def test_odd_documents_do_not_raise() -> None:
    odd: dict[str, Any] = {
        "paths": {"/a": {"get": {"parameters": ["x", {"$ref": "#/nowhere"}], "responses": 3}}},
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}},
    }
    other = copy.deepcopy(odd)
    other["paths"]["/a"]["get"]["requestBody"] = {"$ref": "other.yaml#/x"}
    report = diff_specs(odd, other)
    assert report.summary.total == len(report.findings)
    assert diff_specs({}, {}).findings == []
