"""The golden-run engine against a real sandbox process (uvicorn on a free port).

The sandbox implements the items spec; with one planted bug the run must find exactly that
bug, in the case that exercises it, and pass everything else; without it, everything passes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.partner.runs.cases import GoldenCase
from services.partner.runs.engine import CaseResult, RunReport, SuiteOptions, Target, run_suite
from services.partner.runs.redact import REDACTED
from tools.partner_sandbox import SPEC, Sandbox, golden_cases, running_sandbox

GOLDEN = [GoldenCase.model_validate(c) for c in golden_cases()]
OPTIONS = SuiteOptions(property_examples=10)


@pytest.fixture(scope="module")
def buggy() -> Iterator[Sandbox]:
    with running_sandbox(bug="get_item_without_price", token="tok-planted-bug-7f3a") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def clean() -> Iterator[Sandbox]:
    with running_sandbox(token="tok-clean-91bd") as sandbox:
        yield sandbox


def target(sandbox: Sandbox) -> Target:
    return Target(base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.token}"})


def by_result(report: RunReport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"pass": [], "fail": [], "error": []}
    for case in report.cases:
        out[case.result].append(case.name)
    return out


async def test_the_run_finds_exactly_the_planted_bug(buggy: Sandbox) -> None:
    seen: list[tuple[int, int]] = []

    async def progress(case: CaseResult, done: int, total: int) -> None:
        seen.append((done, total))

    report = await run_suite(SPEC, target(buggy), GOLDEN, options=OPTIONS, on_case=progress)

    results = by_result(report)
    assert results["fail"] == ["create then read"], results
    assert results["error"] == []
    failing = next(c for c in report.cases if c.result == "fail")
    assert failing.operation == "GET /items/{item_id}"
    assert "read" in failing.message and '"price" is a required property' in failing.message
    # the failing exchange is recorded: the read answered 200 without the price
    read = [e for e in failing.exchanges if e.step == "read"]
    assert read and read[0].response is not None and read[0].response.status == 200
    assert read[0].response.body is not None and '"price"' not in read[0].response.body
    # every operation of the spec got its generated cases, and they pass
    generated = sorted(c.name for c in report.cases if c.kind == "property")
    assert generated == [
        "property: GET /items",
        "property: GET /items/{item_id}",
        "property: PATCH /items/{item_id}",
        "property: POST /items",
    ]
    assert len(report.cases) == len(GOLDEN) + 4
    assert seen == [(n, len(report.cases)) for n in range(1, len(report.cases) + 1)]


async def test_a_clean_sandbox_passes_every_case(clean: Sandbox) -> None:
    report = await run_suite(SPEC, target(clean), GOLDEN, options=OPTIONS)

    assert by_result(report)["fail"] == [] and by_result(report)["error"] == []
    assert report.count("pass") == len(GOLDEN) + 4
    replay = next(c for c in report.cases if c.name == "idempotent create replays")
    assert [e.step for e in replay.exchanges] == ["create", "create (replay)"]
    stale = next(c for c in report.cases if c.name == "stale If-Match is refused")
    statuses = [e.response.status for e in stale.exchanges if e.response is not None]
    assert statuses == [201, 200, 412]


async def test_credentials_are_never_recorded(buggy: Sandbox) -> None:
    report = await run_suite(SPEC, target(buggy), GOLDEN, options=OPTIONS)

    dumped = report.model_dump_json()
    assert buggy.token not in dumped
    for case in report.cases:
        for exchange in case.exchanges:
            assert exchange.request.headers["authorization"] == REDACTED


async def test_a_missing_conflict_and_a_wrong_replay_fail(clean: Sandbox) -> None:
    # an If-Match that is not stale gives no conflict: expecting one must fail
    no_conflict = GoldenCase.model_validate(
        {
            "name": "expects a conflict that does not come",
            "steps": [
                {
                    "name": "create",
                    "operation_id": "create_item",
                    "body": {"name": "a", "price": 1},
                    "expect_status": 201,
                },
                {
                    "name": "update",
                    "operation_id": "update_item",
                    "path_params": {"item_id": "{{create.body.id}}"},
                    "if_match": "{{create.headers.etag}}",
                    "body": {"price": 2},
                    "expect_status": [412, 409],
                },
            ],
        }
    )
    # a PATCH is not idempotent by key in the sandbox: the replay answers another version
    no_replay = GoldenCase.model_validate(
        {
            "name": "replays a patch",
            "steps": [
                {
                    "name": "create",
                    "operation_id": "create_item",
                    "body": {"name": "b", "price": 1},
                    "expect_status": 201,
                },
                {
                    "name": "update",
                    "operation_id": "update_item",
                    "path_params": {"item_id": "{{create.body.id}}"},
                    "body": {"price": 2},
                    "idempotency_key": "{{$uuid}}",
                    "replay": True,
                },
            ],
        }
    )
    options = SuiteOptions(property_examples=0)
    report = await run_suite(SPEC, target(clean), [no_conflict, no_replay], options=options)

    first, second = report.cases
    assert first.result == "fail" and "expected status 412 or 409, got 200" in first.message
    assert second.result == "fail" and "replay" in second.message


async def test_an_unreachable_target_or_a_broken_template_is_an_error(clean: Sandbox) -> None:
    broken = GoldenCase.model_validate(
        {
            "name": "reads an id no step produced",
            "steps": [
                {"operation_id": "get_item", "path_params": {"item_id": "{{create.body.id}}"}}
            ],
        }
    )
    unknown = GoldenCase.model_validate(
        {"name": "unknown operation", "steps": [{"operation_id": "delete_everything"}]}
    )
    options = SuiteOptions(property_examples=0)
    report = await run_suite(SPEC, target(clean), [broken, unknown], options=options)
    assert [c.result for c in report.cases] == ["error", "error"]
    assert "no step named 'create'" in report.cases[0].message

    gone = Target(base_url="http://127.0.0.1:9", timeout=2)
    report = await run_suite(SPEC, gone, GOLDEN[:1], options=SuiteOptions(property_examples=1))
    assert {c.result for c in report.cases} == {"error"}
    assert all("ConnectError" in c.message for c in report.cases)
