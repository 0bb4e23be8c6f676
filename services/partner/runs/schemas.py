"""Golden cases, run targets, runs and their cases as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.freejson import MAX_BYTES, MAX_DEPTH, json_depth
from services.partner.runs.cases import GoldenStep
from services.partner.runs.engine import Exchange


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class GoldenCaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    steps: list[GoldenStep] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _bounded(self) -> GoldenCaseCreate:
        # request bodies and expectations are free JSON: bounded like the kit's FreeJson
        steps = [s.model_dump(mode="json") for s in self.steps]
        if json_depth(steps) > MAX_DEPTH + 2 or len(orjson.dumps(steps)) > 4 * MAX_BYTES:
            raise ValueError(
                f"the steps nest deeper than {MAX_DEPTH} or exceed {4 * MAX_BYTES} bytes"
            )
        return self


class GoldenCase(_Out):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    definition: dict[str, Any]
    version: int
    created_at: datetime


class RunTargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["mock", "sandbox", "owner"]
    name: str = Field(min_length=1, max_length=200)
    base_url: str | None = Field(default=None, max_length=2000, description="sandbox only")
    mock_id: uuid.UUID | None = Field(default=None, description="mock only")
    credential_header: str = Field(
        default="Authorization", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9-]+$"
    )
    credential: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="Sent in credential_header on every request; stored encrypted, never "
        "returned, redacted in every record",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> RunTargetCreate:
        if self.kind == "sandbox" and not self.base_url:
            raise ValueError("a sandbox target needs base_url")
        if self.kind == "mock" and self.mock_id is None:
            raise ValueError("a mock target needs mock_id")
        if self.kind != "sandbox" and self.base_url:
            raise ValueError("only a sandbox target takes base_url")
        return self


class RunTarget(_Out):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    name: str
    base_url: str
    mock_id: uuid.UUID | None
    credential_header: str | None
    has_credential: bool = False
    created_at: datetime


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_id: uuid.UUID
    spec_version_id: uuid.UUID | None = Field(
        default=None, description="Default: the project's latest spec version"
    )
    property_examples: int = Field(default=5, ge=0, le=50)


class Run(_Out):
    id: uuid.UUID
    project_id: uuid.UUID
    target_id: uuid.UUID
    target_kind: str
    spec_version_id: uuid.UUID
    previous_run_id: uuid.UUID | None
    job_id: uuid.UUID | None
    status: Literal["queued", "running", "passed", "failed", "errored"]
    property_examples: int
    total: int
    done: int
    passed: int
    failed: int
    errored: int
    message: str | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class RunCase(_Out):
    id: uuid.UUID
    position: int
    name: str
    kind: str
    operation: str | None
    result: Literal["pass", "fail", "error"]
    message: str
    duration_ms: float
    exchanges: list[Exchange]
    log: list[str]


class RunComparison(BaseModel):
    run_id: uuid.UUID
    previous_run_id: uuid.UUID | None
    newly_failing: list[str]
    fixed: list[str]
    still_failing: list[str]


class RunReport(BaseModel):
    run: Run
    cases: list[RunCase]
