"""The spec diff engine (owned by the `pengine` helper; this is the agreed signature until
its engine lands): `diff_specs(old, new) -> DiffReport`, findings classified breaking /
warning / info, each with an oasdiff rule id and its location. The specs feature calls it
for `GET /projects/{project_id}/diff` and returns the report as it is."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Level = Literal["breaking", "warning", "info"]


class Finding(BaseModel):
    rule_id: str = Field(description="oasdiff's rule id, e.g. api-path-removed-without-deprecation")
    level: Level
    location: str = Field(description="Where: a JSON pointer or `METHOD /path` plus detail")
    message: str


class DiffReport(BaseModel):
    breaking: int = 0
    warning: int = 0
    info: int = 0
    findings: list[Finding] = Field(default_factory=list)


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> DiffReport:
    """Placeholder until the engine lands: reports removed paths only."""
    findings = [
        Finding(
            rule_id="api-path-removed-without-deprecation",
            level="breaking",
            location=path,
            message=f"path {path} removed",
        )
        for path in sorted(set(old.get("paths") or {}) - set(new.get("paths") or {}))
    ]
    return DiffReport(breaking=len(findings), findings=findings)
