"""Golden cases: the owner's hand-written checks, as data.

A case is a sequence of steps run in order against one target. Each step names an operation
(by `operation_id`, or `method` and `path`), the request to send, and what the answer must be:
its status, a body that matches the spec's response schema, and optional expected values.
Values flow from one step to the next through templates: `{{create.body.id}}` is the `id` of
the body that step `create` received, `{{create.headers.etag}}` its ETag, `{{$uuid}}` one
fresh UUID per case (for Idempotency-Keys and unique names). A string that is exactly one
template keeps the value's type; a template inside a longer string is formatted in.

Sequences this covers: create-then-read (capture the id, read it back, expect the name),
an Idempotency-Key replay (`replay: true` sends the same request twice with the same key and
expects the same status and body), an If-Match conflict (update with the ETag a previous
step received, then again with the same, now stale, ETag and expect 412 or 409).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_TEMPLATE = re.compile(r"\{\{\s*([$A-Za-z0-9_.\-]+)\s*\}\}")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class TemplateError(ValueError):
    """A template names a step or field that the case has not produced."""


class GoldenStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)
    operation_id: str | None = Field(default=None, max_length=200)
    method: str | None = Field(default=None, max_length=10)
    path: str | None = Field(default=None, max_length=2000)
    path_params: dict[str, Any] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    idempotency_key: str | None = Field(default=None, max_length=255)
    replay: bool = False
    if_match: str | None = Field(default=None, max_length=500)
    expect_status: list[int] = Field(default_factory=lambda: [200], min_length=1)
    check_schema: bool = True
    expect_body: dict[str, Any] = Field(default_factory=dict)

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @model_validator(mode="after")
    def _names_an_operation(self) -> GoldenStep:
        if self.operation_id is None and (self.method is None or self.path is None):
            raise ValueError("a step names operation_id, or method and path")
        if self.method is not None:
            self.method = self.method.upper()
            if self.method not in _METHODS:
                raise ValueError(f"unknown HTTP method {self.method}")
        if self.replay and not self.idempotency_key:
            raise ValueError("a replay step needs an idempotency_key")
        return self


class GoldenCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["golden"] = "golden"
    steps: list[GoldenStep] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _step_names(self) -> GoldenCase:
        for index, step in enumerate(self.steps):
            if not step.name:
                step.name = f"step{index + 1}"
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError("step names must be unique within a case")
        return self


class Scope:
    """What the steps of one case have produced so far, for templates to read."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"$uuid": str(uuid.uuid4())}

    def record(self, step: str, status: int, headers: dict[str, str], body: Any) -> None:
        self.values[step] = {
            "status": status,
            "headers": {k.lower(): v for k, v in headers.items()},
            "body": body,
        }

    def lookup(self, expression: str) -> Any:
        head, *rest = expression.split(".")
        if head not in self.values:
            raise TemplateError(f"{{{{{expression}}}}}: no step named {head!r} ran before")
        value: Any = self.values[head]
        for part in rest:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                raise TemplateError(f"{{{{{expression}}}}}: {part!r} is not in the answer")
        return value

    def render(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _TEMPLATE.fullmatch(value.strip())
            if whole:
                return self.lookup(whole.group(1))
            return _TEMPLATE.sub(lambda m: str(self.lookup(m.group(1))), value)
        if isinstance(value, dict):
            return {k: self.render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v) for v in value]
        return value
