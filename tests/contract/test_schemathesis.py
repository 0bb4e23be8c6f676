"""Schemathesis over the live merged spec, through the gateway, as a provider and as a brand.

Every operation of `/openapi.json` gets generated requests, valid ones and invalid ones, with
a bounded number of examples (deterministic, so a failure reproduces). Each answer must be no
5xx, a documented status code, a documented content type, a body that matches the documented
schema, the documented headers, and no `403 wrong_space` from an operation whose description
says the token's space may call it. The tokens belong to the guards' own tenants (provider B
and its brand), so what the fuzzers create stays out of the demo data other tests read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.conftest import Login, Network
from tools.stack import Stack

# Examples per operation, per generation mode (valid / invalid input), per token: about
# 100 operations x 2 modes x 2 tokens x 5 keeps the guard near three minutes on two cores
# shared with other work (the provider's writes that succeed are the slow part).
MAX_EXAMPLES = 5

# Operations left out, with the reason. Nothing is left out silently: the test prints this.
# (None today: the tokens belong to the guards' own tenants, so the operations that log out,
# change a password or revoke a client cannot reach another test's logins; key rotation is
# the platform operator's and answers 403 to these tokens, which is documented.) Operations
# that answer a server-sent event stream are added here from the spec, with their reason.
EXCLUDED: dict[str, str] = {}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

SPACES = re.compile(r"Open to the spaces?: ([A-Z_, ]+)")


@dataclass
class Failure:
    operation: str
    mode: str
    kind: str
    request: str
    status: int
    body: str

    def line(self) -> str:
        return (
            f"{self.kind}: {self.operation} ({self.mode}) :: {self.request} "
            f"-> {self.status} {self.body[:300]}"
        )


@dataclass
class Report:
    operations: int = 0
    examples: int = 0
    failures: list[Failure] | None = None

    def by_kind(self) -> Counter[str]:
        return Counter(f.kind for f in self.failures or [])


def documented_spaces(operation: dict[str, Any]) -> set[str] | None:
    """The spaces an operation says it is open to (`x-spaces`, or its description)."""
    if isinstance(operation.get("x-spaces"), list):
        return {str(s) for s in operation["x-spaces"]}
    found = SPACES.search(operation.get("description") or "")
    if not found:
        return None
    return {s.strip() for s in found.group(1).split(",") if s.strip()}


def fuzz(spec: dict[str, Any], login: Login, base_url: str) -> Report:
    schema = schemathesis.openapi.from_dict(spec)
    session = requests.Session()  # one keep-alive connection pool for the whole run
    report = Report(failures=[])
    assert report.failures is not None
    failures = report.failures
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(
                f"the merged spec has an operation schemathesis cannot load: {result.err()}"
            )
        op = result.ok()
        raw_op = spec["paths"][op.path][op.method.lower()]
        if "text/event-stream" in raw_op.get("responses", {}).get("200", {}).get("content", {}):
            EXCLUDED[op.label] = "a server-sent event stream never ends: no answer to validate"
        if op.label in EXCLUDED:
            continue
        report.operations += 1
        raw = spec["paths"][op.path][op.method.lower()]
        spaces = documented_spaces(raw)
        seen: set[tuple[str, int]] = set()

        def record(kind: str, mode: str, case: Any, status: int, body: str) -> None:
            if (kind, status) in seen:
                return
            seen.add((kind, status))
            curl = case.as_curl_command(headers={"Authorization": "Bearer <token>"})
            failures.append(Failure(op.label, mode, kind, curl, status, body))

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(op, mode, login, base_url, spaces, report, record, session)
            except Unsatisfiable:
                # an operation without inputs has no invalid request to generate
                if mode is GenerationMode.POSITIVE:
                    raise
    return report


def _run(
    op: Any,
    mode: GenerationMode,
    login: Login,
    base_url: str,
    spaces: set[str] | None,
    report: Report,
    record: Callable[[str, str, Any, int, str], None],
    session: requests.Session,
) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        report.examples += 1
        headers = {"Authorization": f"Bearer {login.token}"}
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=60, session=session)
        except Exception as exc:
            record(f"no answer ({type(exc).__name__})", mode.value, case, 0, str(exc))
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:
            group = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
            for failure in group:
                kind = getattr(failure, "title", type(failure).__name__)
                record(kind, mode.value, case, response.status_code, response.text)
        if response.status_code == 403 and spaces and login.space in spaces:
            try:
                code = response.json().get("code")
            except ValueError:
                code = None
            if code == "wrong_space":
                kind = f"403 wrong_space although documented open to {login.space}"
                record(kind, mode.value, case, 403, response.text)

    run()


def _check(report: Report, who: str) -> None:
    failures = report.failures or []
    print(
        f"\nschemathesis as {who}: {report.operations} operations fuzzed, "
        f"{report.examples} examples, {len(failures)} failures"
        f" (operation x kind x status); by kind: {dict(report.by_kind())}"
    )
    for label, reason in EXCLUDED.items():
        print(f"  excluded {label}: {reason}")
    grouped: dict[str, list[str]] = {}
    for failure in failures:
        grouped.setdefault(f"{failure.kind} ({failure.status})", []).append(failure.operation)
    for kind, operations in grouped.items():
        print(f"  {kind}: {len(operations)} operations: {', '.join(operations)}")
    assert report.operations > 0 and report.examples >= report.operations
    assert not failures, (
        f"{len(failures)} failures as {who}, by kind {dict(report.by_kind())}:\n"
        + "\n".join(f.line() for f in failures[:40])
    )


@pytest.mark.e2e
def test_fuzz_as_provider(spec: dict[str, Any], network: Network, stack: Stack) -> None:
    _check(fuzz(spec, network.provider_b, stack.gateway_url), "provider (PROVIDER token)")


@pytest.mark.e2e
def test_fuzz_as_brand(spec: dict[str, Any], network: Network, stack: Stack) -> None:
    _check(fuzz(spec, network.brand_b, stack.gateway_url), "brand (CLIENT token)")
