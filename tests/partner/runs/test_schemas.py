"""Golden cases as the API takes them: free JSON in steps is bounded, steps name operations."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.partner.runs.schemas import GoldenCaseCreate, RunTargetCreate


def test_a_step_body_nested_too_deep_is_refused() -> None:
    body: dict[str, Any] = {"leaf": 1}
    for _ in range(30):
        body = {"x": body}
    with pytest.raises(ValidationError, match="nest deeper"):
        GoldenCaseCreate.model_validate(
            {"name": "n", "steps": [{"operation_id": "a", "body": body}]}
        )
    ok = GoldenCaseCreate.model_validate(
        {"name": "n", "steps": [{"operation_id": "a", "body": [1]}]}
    )
    assert ok.steps[0].body == [1] and ok.steps[0].name == ""


def test_a_step_names_an_operation_and_a_replay_needs_a_key() -> None:
    with pytest.raises(ValidationError, match="operation_id, or method and path"):
        GoldenCaseCreate.model_validate({"name": "n", "steps": [{"method": "GET"}]})
    with pytest.raises(ValidationError, match="needs an idempotency_key"):
        GoldenCaseCreate.model_validate(
            {"name": "n", "steps": [{"operation_id": "a", "replay": True}]}
        )


def test_targets_carry_the_fields_of_their_kind() -> None:
    with pytest.raises(ValidationError, match="needs base_url"):
        RunTargetCreate.model_validate({"kind": "sandbox", "name": "s"})
    with pytest.raises(ValidationError, match="only a sandbox"):
        RunTargetCreate.model_validate({"kind": "owner", "name": "o", "base_url": "https://x"})
    owner = RunTargetCreate.model_validate(
        {"kind": "owner", "name": "o", "credential": "k3y-value"}
    )
    assert owner.credential == "k3y-value" and owner.credential_header == "Authorization"
